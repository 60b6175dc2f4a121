# Table 3a row "temporal only" on the synthetic benchmark: 3D encoder on the
# clip, no CMAM.
_base_ = ['./csted_tiny_synthetic.py']
model = dict(spatial_encoder=None, temporal_encoder=dict(cmam_stages=()))
