# Table 3a, "temporal only": I3D encoder and decoder, no CMAM.
_base_ = ['../csted_iv3_i3d_a2d.py']
model = dict(spatial_encoder=None, temporal_encoder=dict(cmam_stages=()))
# The text encoders get no gradient in this row (nothing reads the query).
find_unused_parameters = True
