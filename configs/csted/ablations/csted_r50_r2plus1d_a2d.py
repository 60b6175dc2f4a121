# Table 3d: R50 + a separable 3D network (R(2+1)D-34 in place of the
# paper's S3D, see ../../_base_/models/r2plus1d_r34_backbone.py).
_base_ = [
    '../csted_r50_i3d_a2d.py', '../../_base_/models/r2plus1d_r34_backbone.py'
]
model = dict(temporal_encoder=dict(backbone={{_base_.r2plus1d_backbone}}))
