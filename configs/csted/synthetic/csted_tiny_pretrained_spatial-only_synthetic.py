# Table 3a row "spatial only" (no CMAM, language concatenated in the
# decoder), the 2D encoder pretrained on Synthetic ImageNet
# (csted_tiny_synthetic_pretrained.py).
_base_ = [
    './csted_tiny_spatial-only_synthetic.py',
    '../../_base_/models/csted_tiny_synthetic_pretrained.py'
]
model = dict(
    spatial_encoder=dict(
        backbone=dict(init_cfg={{_base_.spatial_pretrained}})))
