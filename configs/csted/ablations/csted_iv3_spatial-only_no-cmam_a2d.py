# Table 3a, "spatial only": Inception V3 encoder and decoder, no CMAM.
# Without CMAM the query is read only in the decoder, by concatenating the
# tiled sentence feature to every decoder stage (the paper's baselines).
_base_ = ['../csted_iv3_i3d_a2d.py']
model = dict(
    temporal_encoder=None,
    spatial_encoder=dict(cmam_stages=()),
    decode_head=dict(language_concat=True))
