# Stage 2 of the paper's recipe (see README).
_base_ = ['./csted_iv3_i3d_a2d.py']
param_scheduler = []  # constant lr
train_cfg = dict(max_epochs=4)
spatial_ckpt = 'work_dirs/csted_iv3_spatial-only_a2d/epoch_12.pth'
temporal_ckpt = 'work_dirs/csted_i3d_temporal-only_a2d/epoch_12.pth'
model = dict(
    spatial_encoder=dict(
        frozen=True,
        backbone=dict(init_cfg=None),
        init_cfg=dict(
            type='Pretrained',
            checkpoint=spatial_ckpt,
            prefix='spatial_encoder.')),
    temporal_encoder=dict(
        frozen=True,
        backbone=dict(init_cfg=None),
        init_cfg=dict(
            type='Pretrained',
            checkpoint=temporal_ckpt,
            prefix='temporal_encoder.')))
