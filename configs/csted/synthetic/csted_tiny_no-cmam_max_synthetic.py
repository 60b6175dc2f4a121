# Table 3a/3b row on the synthetic benchmark: both encoders, no CMAM, fusion
# by max.
# Without CMAM the query is read only in the decoder, by concatenating the
# tiled sentence feature to every decoder stage (the paper's baselines).
_base_ = ['./csted_tiny_synthetic.py']
model = dict(
    spatial_encoder=dict(cmam_stages=()),
    temporal_encoder=dict(cmam_stages=()),
    decode_head=dict(
        language_concat=True,
        fusion=dict(_delete_=True, type='SimpleFusion', mode='max')))
