# Table 3c row {5} on the synthetic benchmark: CMAM after stage 5 only.
# Our choice where the paper is silent: with CMAM at some stages only, the
# decoder has no language concatenation (as in the full model, which Table 3c
# varies; the paper removes the concatenation wherever CMAM is inserted).
_base_ = ['./csted_tiny_synthetic.py']
model = dict(
    spatial_encoder=dict(cmam_stages=(5, )),
    temporal_encoder=dict(cmam_stages=(5, )))
