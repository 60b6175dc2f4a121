# Table 3a row "+ LGFS" on the synthetic benchmark: both encoders, no CMAM,
# LGFS fusion.
_base_ = ['./csted_tiny_synthetic.py']
model = dict(
    spatial_encoder=dict(cmam_stages=()),
    temporal_encoder=dict(cmam_stages=()))
