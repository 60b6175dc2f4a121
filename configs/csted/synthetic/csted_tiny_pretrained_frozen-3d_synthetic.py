# The pretrained 3D backbone is frozen: fine-tuned it forgets (README).
_base_ = ['./csted_tiny_pretrained_synthetic.py']
model = dict(temporal_encoder=dict(backbone=dict(frozen=True)))
