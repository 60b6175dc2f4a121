# Table 3a row "spatial only" on the synthetic benchmark: 2D encoder on the
# target frame, no CMAM (the CMAM version: csted_tiny_spatial-only-cmam_*.py).
# Without CMAM the query is read only in the decoder, by concatenating the
# tiled sentence feature to every decoder stage (the paper's baselines).
_base_ = ['./csted_tiny_synthetic.py']
model = dict(
    temporal_encoder=None,
    spatial_encoder=dict(cmam_stages=()),
    decode_head=dict(language_concat=True))
