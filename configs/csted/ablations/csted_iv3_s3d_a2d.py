_base_ = ['../csted_iv3_i3d_a2d.py', '../../_base_/models/s3d_backbone.py']
model = dict(temporal_encoder=dict(backbone={{_base_.s3d_backbone}}))
