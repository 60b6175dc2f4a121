# The temporal network alone with its CMAMs, the 3D encoder pretrained on
# Synthetic Kinetics: stage 1 of the paper's recipe from pretrained weights
# (stage 2: csted_tiny_pretrained_two-stage_synthetic.py).
# The pretrained 3D backbone is FROZEN (weights and BN statistics), as in
# csted_tiny_pretrained_frozen-3d_synthetic.py, the recipe of every
# pretrained row of the table: fine-tuned at lr 1e-3 it forgets its
# pretraining (docs/synthetic_benchmark.md, the probe).
_base_ = [
    './csted_tiny_temporal-only-cmam_synthetic.py',
    '../../_base_/models/csted_tiny_synthetic_pretrained.py'
]
model = dict(
    temporal_encoder=dict(
        backbone=dict(init_cfg={{_base_.temporal_pretrained}}, frozen=True)))
