# Table 3a row "temporal only" (no CMAM, language concatenated in the
# decoder), the 3D encoder pretrained on Synthetic Kinetics
# (csted_tiny_synthetic_pretrained.py).
_base_ = [
    './csted_tiny_temporal-only_synthetic.py',
    '../../_base_/models/csted_tiny_synthetic_pretrained.py'
]
model = dict(
    temporal_encoder=dict(
        backbone=dict(init_cfg={{_base_.temporal_pretrained}})))
