# No decoder concatenation: our choice where the paper is silent (README).
_base_ = ['./csted_tiny_synthetic.py']
model = dict(
    spatial_encoder=dict(cmam_stages=(5, )),
    temporal_encoder=dict(cmam_stages=(5, )))
