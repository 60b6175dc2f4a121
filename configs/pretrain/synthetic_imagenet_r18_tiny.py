# "Synthetic ImageNet": pretrain the 2D encoder of csted_tiny (mmpretrain
# ResNet-18, 16 stem/base channels; the SAME backbone dict, read from
# csted_tiny.py, so the checkpoint's `backbone.*` keys load into CSTED's
# spatial encoder) as an mmpretrain ImageClassifier that names an actor's
# APPEARANCE from one frame of the synthetic benchmark, cropped around the
# actor: one class per (size, colour, shape) = 2 x 8 x 6 = 96 classes
# (mmcsted.datasets.synthetic_pretrain.APPEARANCE_CLASSES), the words the
# spatial branch must ground. No colour jitter and no rescaling: colour and
# size are labels.
# Train videos only: 'train' = the benchmark's train videos minus a 10 %
# hold-out ('val'); the test videos are never read.
#
#   python tools/train.py configs/pretrain/synthetic_imagenet_r18_tiny.py
#
# Runs with mmpretrain's registries (default_scope='mmpretrain'); the dataset
# and its crop transforms come from mmcsted (`mmcsted.` prefix).
_base_ = ['../_base_/models/csted_tiny.py']
custom_imports = dict(imports=['mmcsted.datasets'], allow_failed_imports=False)
# mmpretrain's runtime (its configs/_base_/default_runtime.py, written out:
# `mmpretrain::` base paths need pkg_resources, which this environment lacks)
default_scope = 'mmpretrain'
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # epoch_<max_epochs>.pth is what the CSTED configs load
    checkpoint=dict(
        type='CheckpointHook', interval=5, max_keep_ckpts=2, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False))
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)

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
        # CSTED's normalisation (csted_tiny.py); frames are RGB already
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=False))

train_pipeline = [
    dict(type='mmcsted.SampleActorClip', clip_len=1),
    dict(type='mmcsted.VideoInit'),
    dict(type='mmcsted.VideoDecode'),
    dict(
        type='mmcsted.CropAroundActor',
        crop_size=crop_size,
        out_size=input_size,
        max_shift=4),
    dict(type='mmcsted.FlipActorClip', prob=0.5),
    dict(type='mmcsted.ClipToImage'),
    dict(type='PackInputs', meta_keys=('img_shape', 'video_id', 'flip'))
]
val_pipeline = [
    dict(type='mmcsted.SampleActorClip', clip_len=1),
    dict(type='mmcsted.VideoInit'),
    dict(type='mmcsted.VideoDecode'),
    dict(
        type='mmcsted.CropAroundActor',
        crop_size=crop_size,
        out_size=input_size),
    dict(type='mmcsted.ClipToImage'),
    dict(type='PackInputs', meta_keys=('img_shape', 'video_id'))
]
dataset_common = dict(
    type='mmcsted.SyntheticImageNetDataset',
    data_root=data_root,
    val_ratio=0.1,
    min_visible=0.5)
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(split='train', pipeline=train_pipeline, **dataset_common))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        split='val', test_mode=True, pipeline=val_pipeline, **dataset_common))
# The benchmark's test videos, for a final report only.
test_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        split='test', test_mode=True, pipeline=val_pipeline, **dataset_common))
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator

# One epoch = one frame of each of the ~1,280 training actors (40 iterations,
# about 10 s on 2 CPU cores). 96 classes learn slower than 5 actions: at a
# constant lr 1e-3, 10 epochs reached 21 % top-1 / 78 % top-5 on 'val'.
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
