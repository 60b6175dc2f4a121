# No decoder concatenation: our choice where the paper is silent (README).
_base_ = ['../csted_iv3_i3d_a2d.py']
model = dict(
    spatial_encoder=dict(cmam_stages=(
        3,
        4,
        5,
    )),
    temporal_encoder=dict(cmam_stages=(
        3,
        4,
        5,
    )))
