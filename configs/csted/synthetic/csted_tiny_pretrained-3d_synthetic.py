_base_ = [
    './csted_tiny_synthetic.py',
    '../../_base_/models/csted_tiny_synthetic_pretrained.py'
]
model = dict(
    temporal_encoder=dict(
        backbone=dict(init_cfg={{_base_.temporal_pretrained}})))
