_base_ = ['./csted_tiny_synthetic.py']
param_scheduler = []  # constant lr
train_cfg = dict(max_epochs=4)
spatial_ckpt = 'work_dirs/csted_tiny_spatial-only-cmam_synthetic/epoch_4.pth'
temporal_ckpt = \
    'work_dirs/csted_tiny_temporal-only-cmam_synthetic/epoch_4.pth'
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
