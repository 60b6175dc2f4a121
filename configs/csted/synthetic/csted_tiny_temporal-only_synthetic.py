# Table 3a row "temporal only" on the synthetic benchmark: 3D encoder on the
# clip, no CMAM (the CMAM version: csted_tiny_temporal-only-cmam_*.py).
# Without CMAM the query is read only in the decoder, by concatenating the
# tiled sentence feature to every decoder stage (the paper's baselines).
_base_ = ['./csted_tiny_synthetic.py']
model = dict(
    spatial_encoder=None,
    temporal_encoder=dict(cmam_stages=()),
    decode_head=dict(language_concat=True))
