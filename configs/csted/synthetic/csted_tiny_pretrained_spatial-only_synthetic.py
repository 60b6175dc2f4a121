_base_ = [
    './csted_tiny_spatial-only_synthetic.py',
    '../../_base_/models/csted_tiny_synthetic_pretrained.py'
]
model = dict(
    spatial_encoder=dict(
        backbone=dict(init_cfg={{_base_.spatial_pretrained}})))
