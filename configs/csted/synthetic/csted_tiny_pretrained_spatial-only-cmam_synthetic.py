# The spatial network alone with its CMAMs, the 2D encoder pretrained on
# Synthetic ImageNet: stage 1 of the paper's recipe from pretrained weights
# (stage 2: csted_tiny_pretrained_two-stage_synthetic.py).
_base_ = [
    './csted_tiny_spatial-only-cmam_synthetic.py',
    '../../_base_/models/csted_tiny_synthetic_pretrained.py'
]
model = dict(
    spatial_encoder=dict(
        backbone=dict(init_cfg={{_base_.spatial_pretrained}})))
