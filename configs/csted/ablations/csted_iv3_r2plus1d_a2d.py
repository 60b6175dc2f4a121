# Extra, not a row of the paper: IV3 + mmaction2's R(2+1)D-34 (Kinetics-400), a
# separable 3D ResNet, in place of the Inception-I3D. The paper's separable
# encoder is S3D: csted_iv3_s3d_a2d.py.
_base_ = [
    '../csted_iv3_i3d_a2d.py', '../../_base_/models/r2plus1d_r34_backbone.py'
]
model = dict(temporal_encoder=dict(backbone={{_base_.r2plus1d_backbone}}))
