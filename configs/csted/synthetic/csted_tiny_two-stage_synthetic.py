# Stage 2 of the paper's recipe on the synthetic benchmark: load the two
# stage-1 networks (each encoder trained with its CMAMs and its own decoder:
# csted_tiny_spatial-only-cmam_synthetic.py and
# csted_tiny_temporal-only-cmam_synthetic.py), freeze both encoders (backbone,
# CMAMs and GRU), and train a freshly initialised joint decoder with LGFS. The
# paper trains stage 2 for 4 epochs at the stage-1 learning rate, constant
# (5e-4 there; here the synthetic schedule's 1e-3), batch 8.
# Train stage 1 first (tools/train.py each config, default work dirs), or
# point the checkpoints elsewhere:
#   --cfg-options model.spatial_encoder.init_cfg.checkpoint=PATH
#                 model.temporal_encoder.init_cfg.checkpoint=PATH
# The A2D version: configs/csted/csted_iv3_i3d_two-stage_a2d.py.
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
