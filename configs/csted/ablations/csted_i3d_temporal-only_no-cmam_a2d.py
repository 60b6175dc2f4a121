# Table 3a, "temporal only": I3D encoder and decoder, no CMAM.
# Without CMAM the query is read only in the decoder, by concatenating the
# tiled sentence feature to every decoder stage (the paper's baselines).
_base_ = ['../csted_iv3_i3d_a2d.py']
model = dict(
    spatial_encoder=None,
    temporal_encoder=dict(cmam_stages=()),
    decode_head=dict(language_concat=True))
