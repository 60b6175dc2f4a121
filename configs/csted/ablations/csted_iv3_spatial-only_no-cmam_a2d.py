# Table 3a, "spatial only": Inception V3 encoder and decoder, no CMAM.
_base_ = ['../csted_iv3_i3d_a2d.py']
model = dict(temporal_encoder=None, spatial_encoder=dict(cmam_stages=()))
# The text encoders get no gradient in this row (nothing reads the query).
find_unused_parameters = True
