# Table 3a row "both + LGFS" (no CMAM, language concatenated in the
# decoder), both encoders pretrained in the synthetic world
# (csted_tiny_synthetic_pretrained.py).
# The pretrained 3D backbone is FROZEN (weights and BN statistics), as in
# csted_tiny_pretrained_frozen-3d_synthetic.py, the recipe of every
# pretrained row of the table: fine-tuned at lr 1e-3 it forgets its
# pretraining (docs/synthetic_benchmark.md, the probe).
_base_ = [
    './csted_tiny_no-cmam_lgfs_synthetic.py',
    '../../_base_/models/csted_tiny_synthetic_pretrained.py'
]
model = dict(
    spatial_encoder=dict(
        backbone=dict(init_cfg={{_base_.spatial_pretrained}})),
    temporal_encoder=dict(
        backbone=dict(init_cfg={{_base_.temporal_pretrained}}, frozen=True)))
