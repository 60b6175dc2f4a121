# Synthetic Kinetics: csted_tiny's 3D backbone as a 5-action classifier.
_base_ = [
    '../_base_/models/csted_tiny.py', 'mmaction::_base_/default_runtime.py'
]
custom_imports = dict(
    imports=['mmcsted.datasets', 'mmcsted.engine'], allow_failed_imports=False)
# channels-last convolutions: a faster CPU step (docs/synthetic_benchmark.md)
custom_hooks = [dict(type='mmcsted.ChannelsLastHook')]
default_hooks = dict(
    # epoch_<max_epochs>.pth is what the CSTED configs load
    checkpoint=dict(
        _delete_=True,
        type='CheckpointHook',
        interval=5,
        max_keep_ckpts=2,
        save_last=True))
randomness = dict(seed=0, deterministic=False)

data_root = 'data/synthetic_a2d'
clip_len = 8
crop_size = 60  # frame pixels; x 0.8 = 48, the scale CSTED sees (64x80->64)
input_size = 48
num_classes = 5  # tools.data.synthetic.world.ACTIONS

model = dict(
    _delete_=True,
    type='Recognizer3D',
    backbone={{_base_.model.temporal_encoder.backbone.backbone}},
    cls_head=dict(
        type='I3DHead',
        num_classes=num_classes,
        in_channels=128,  # layer4 of ResNet3d-18 with 16 base channels
        spatial_type='avg',
        dropout_ratio=0.5,
        # mmaction2's 0.01 stalls from scratch (README)
        init_std=0.05,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW'))

# a mirrored clip of an actor moving left is an actor moving right
mirrored_actions = {0: 1, 1: 0}
train_pipeline = [
    dict(type='mmcsted.SampleActorClip', clip_len=clip_len, frame_interval=1),
    dict(type='mmcsted.VideoInit', cache_frames=True),
    dict(type='mmcsted.VideoDecode'),
    dict(
        type='mmcsted.CropAroundActor',
        crop_size=crop_size,
        out_size=input_size,
        max_shift=4),
    dict(type='Flip', flip_ratio=0.5, flip_label_map=mirrored_actions),
    dict(
        type='mmcsted.ClipColorJitter',
        brightness=0.2,
        contrast=0.2,
        saturation=0.2,
        hue=0.02),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('img_shape', 'video_id'))
]
val_pipeline = [
    dict(type='mmcsted.SampleActorClip', clip_len=clip_len, frame_interval=1),
    dict(type='mmcsted.VideoInit', cache_frames=True),
    dict(type='mmcsted.VideoDecode'),
    dict(
        type='mmcsted.CropAroundActor',
        crop_size=crop_size,
        out_size=input_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', meta_keys=('img_shape', 'video_id'))
]
dataset_common = dict(
    type='mmcsted.SyntheticActorDataset', data_root=data_root)
ann_file = 'annotations/synthetic_kinetics_{}.json'
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        ann_file=ann_file.format('train'),
        pipeline=train_pipeline,
        **dataset_common))
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        ann_file=ann_file.format('val'),
        test_mode=True,
        pipeline=val_pipeline,
        **dataset_common))
test_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        ann_file=ann_file.format('test'),
        test_mode=True,
        pipeline=val_pipeline,
        **dataset_common))
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator

max_epochs = 30
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=40, norm_type=2))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=2,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - 2,
        eta_min=1e-5,
        by_epoch=True,
        begin=2,
        end=max_epochs)
]
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=16)
