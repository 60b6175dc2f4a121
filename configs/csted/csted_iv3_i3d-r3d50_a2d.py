# Variant: mmaction2's I3D ResNet3d-50 as temporal encoder (see README).
_base_ = ['./csted_iv3_i3d_a2d.py', '../_base_/models/i3d_r3d50_backbone.py']
model = dict(temporal_encoder=dict(backbone={{_base_.i3d_r3d50_backbone}}))
