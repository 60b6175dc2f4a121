# Table 3c: CMAM after stages {5} of both encoders (the full model
# has all five: ../csted_iv3_i3d_a2d.py).
# Our choice where the paper is silent: with CMAM at some stages only, the
# decoder has no language concatenation (as in the full model, which Table 3c
# varies; the paper removes the concatenation wherever CMAM is inserted).
_base_ = ['../csted_iv3_i3d_a2d.py']
model = dict(
    spatial_encoder=dict(cmam_stages=(5, )),
    temporal_encoder=dict(cmam_stages=(5, )))
