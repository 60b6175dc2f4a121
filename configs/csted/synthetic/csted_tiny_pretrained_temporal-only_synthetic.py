# Table 3a row "temporal only" (no CMAM, language concatenated in the
# decoder), the 3D encoder pretrained on Synthetic Kinetics
# (csted_tiny_synthetic_pretrained.py).
# The pretrained 3D backbone is FROZEN (weights and BN statistics), as in
# csted_tiny_pretrained_frozen-3d_synthetic.py, the recipe of every
# pretrained row of the table: fine-tuned at lr 1e-3 it forgets its
# pretraining (docs/synthetic_benchmark.md, the probe).
_base_ = [
    './csted_tiny_temporal-only_synthetic.py',
    '../../_base_/models/csted_tiny_synthetic_pretrained.py'
]
model = dict(
    temporal_encoder=dict(
        backbone=dict(init_cfg={{_base_.temporal_pretrained}}, frozen=True)))
