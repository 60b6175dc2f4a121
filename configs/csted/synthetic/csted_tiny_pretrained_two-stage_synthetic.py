# Stage 2 of the paper's recipe (csted_tiny_two-stage_synthetic.py) on top of
# stage-1 networks whose encoders started pretrained in the synthetic world:
# csted_tiny_pretrained_spatial-only-cmam_synthetic.py (2D from Synthetic
# ImageNet) and csted_tiny_pretrained_temporal-only-cmam_synthetic.py (3D from
# Synthetic Kinetics): the paper's whole pipeline, pretraining included.
_base_ = ['./csted_tiny_two-stage_synthetic.py']
spatial_ckpt = ('work_dirs/csted_tiny_pretrained_spatial-only-cmam_synthetic/'
                'epoch_4.pth')
temporal_ckpt = ('work_dirs/csted_tiny_pretrained_temporal-only-cmam_'
                 'synthetic/epoch_4.pth')
model = dict(
    spatial_encoder=dict(init_cfg=dict(checkpoint=spatial_ckpt)),
    temporal_encoder=dict(init_cfg=dict(checkpoint=temporal_ckpt)))
