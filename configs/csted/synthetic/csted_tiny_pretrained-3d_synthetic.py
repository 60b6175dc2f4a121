# The full CSTED with ONLY the 3D encoder pretrained (Synthetic Kinetics),
# the 2D one from scratch: separates what the motion pretraining brings from
# what the appearance pretraining brings (csted_tiny_pretrained_synthetic.py
# has both).
_base_ = [
    './csted_tiny_synthetic.py',
    '../../_base_/models/csted_tiny_synthetic_pretrained.py'
]
model = dict(
    temporal_encoder=dict(
        backbone=dict(init_cfg={{_base_.temporal_pretrained}})))
