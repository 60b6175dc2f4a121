# The pretrained 3D backbone is frozen: fine-tuned it forgets (README).
_base_ = [
    './csted_tiny_no-cmam_concat_synthetic.py',
    '../../_base_/models/csted_tiny_synthetic_pretrained.py'
]
model = dict(
    spatial_encoder=dict(
        backbone=dict(init_cfg={{_base_.spatial_pretrained}})),
    temporal_encoder=dict(
        backbone=dict(init_cfg={{_base_.temporal_pretrained}}, frozen=True)))
