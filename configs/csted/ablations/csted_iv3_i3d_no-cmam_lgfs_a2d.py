# Table 3a/3b: both encoders, no CMAM, LGFS fusion ("+ LGFS").
_base_ = ['../csted_iv3_i3d_a2d.py']
model = dict(
    spatial_encoder=dict(cmam_stages=()),
    temporal_encoder=dict(cmam_stages=()))
