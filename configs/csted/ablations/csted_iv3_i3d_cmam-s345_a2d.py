# Table 3c: CMAM after stages {3, 4, 5} of both encoders (the full model
# has all five: ../csted_iv3_i3d_a2d.py).
_base_ = ['../csted_iv3_i3d_a2d.py']
model = dict(
    spatial_encoder=dict(cmam_stages=(3, 4, 5,)),
    temporal_encoder=dict(cmam_stages=(3, 4, 5,)))
