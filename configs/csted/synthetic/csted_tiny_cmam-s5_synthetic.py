# Table 3c row {5} on the synthetic benchmark: CMAM after stage 5 only.
_base_ = ['./csted_tiny_synthetic.py']
model = dict(
    spatial_encoder=dict(cmam_stages=(5, )),
    temporal_encoder=dict(cmam_stages=(5, )))
