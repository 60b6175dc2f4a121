# Stage 2 of the paper's recipe: load the encoders trained in stage 1
# (csted_iv3_spatial-only_a2d.py and csted_i3d_temporal-only_a2d.py), freeze
# them, and train a freshly initialised joint decoder with LGFS, Adam 5e-4,
# 4 epochs. Point the two checkpoints at your stage-1 work dirs, e.g.
#   --cfg-options spatial_ckpt=... temporal_ckpt=...  (or edit here).
_base_ = ['./csted_iv3_i3d_a2d.py']
# Stage-2 schedule: Adam 5e-4, 4 epochs, constant lr.
param_scheduler = []
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
