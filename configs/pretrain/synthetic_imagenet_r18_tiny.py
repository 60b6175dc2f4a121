# Synthetic ImageNet: csted_tiny's 2D backbone as a 96-class classifier.
_base_ = [
    '../_base_/models/csted_tiny.py', 'mmpretrain::_base_/default_runtime.py'
]
custom_imports = dict(imports=['mmcsted.datasets'], allow_failed_imports=False)
default_hooks = dict(
    logger=dict(interval=20),
    # epoch_<max_epochs>.pth is what the CSTED configs load
    checkpoint=dict(interval=5, max_keep_ckpts=2, save_last=True))
randomness = dict(seed=0)

data_root = 'data/synthetic_a2d'
crop_size = 60  # frame pixels; x 0.8 = 48, the scale CSTED sees (64x80->64)
input_size = 48
num_classes = 96  # APPEARANCE_CLASSES

model = dict(
    _delete_=True,
    type='ImageClassifier',
    backbone={{_base_.model.spatial_encoder.backbone.backbone}},
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=num_classes,
        in_channels=128,  # layer4 of ResNet-18 with 16 base channels
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)),
    data_preprocessor=dict(
        type='ClsDataPreprocessor',
        num_classes=num_classes,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=False))

train_pipeline = [
    dict(type='mmcsted.SampleActorClip', clip_len=1),
    dict(type='mmcsted.VideoInit', cache_frames=True),
    dict(type='mmcsted.VideoDecode'),
    dict(
        type='mmcsted.CropAroundActor',
        crop_size=crop_size,
        out_size=input_size,
        max_shift=4),
    dict(type='mmcsted.ClipToImage'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', meta_keys=('img_shape', 'video_id', 'flip'))
]
val_pipeline = [
    dict(type='mmcsted.SampleActorClip', clip_len=1),
    dict(type='mmcsted.VideoInit', cache_frames=True),
    dict(type='mmcsted.VideoDecode'),
    dict(
        type='mmcsted.CropAroundActor',
        crop_size=crop_size,
        out_size=input_size),
    dict(type='mmcsted.ClipToImage'),
    dict(type='PackInputs', meta_keys=('img_shape', 'video_id'))
]
dataset_common = dict(
    type='mmcsted.SyntheticActorDataset', data_root=data_root)
ann_file = 'annotations/synthetic_imagenet_{}.json'
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        ann_file=ann_file.format('train'),
        pipeline=train_pipeline,
        **dataset_common))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        ann_file=ann_file.format('val'),
        test_mode=True,
        pipeline=val_pipeline,
        **dataset_common))
test_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        ann_file=ann_file.format('test'),
        test_mode=True,
        pipeline=val_pipeline,
        **dataset_common))
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator

max_epochs = 50
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4))
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
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(enable=False, base_batch_size=32)
