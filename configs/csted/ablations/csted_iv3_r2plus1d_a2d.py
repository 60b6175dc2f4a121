_base_ = [
    '../csted_iv3_i3d_a2d.py', '../../_base_/models/r2plus1d_r34_backbone.py'
]
model = dict(temporal_encoder=dict(backbone={{_base_.r2plus1d_backbone}}))
