# Variant, not the paper's model: CSTED with mmaction2's I3D ResNet3d-50
# (Kinetics-400) as the temporal encoder in place of the paper's Inception-v1
# I3D (../_base_/models/i3d_r3d50_backbone.py). Otherwise csted_iv3_i3d_a2d.py.
_base_ = ['./csted_iv3_i3d_a2d.py', '../_base_/models/i3d_r3d50_backbone.py']
model = dict(temporal_encoder=dict(backbone={{_base_.i3d_r3d50_backbone}}))
