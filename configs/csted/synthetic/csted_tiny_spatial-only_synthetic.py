# Table 3a row "spatial only" on the synthetic benchmark: 2D encoder on the
# target frame, no CMAM.
_base_ = ['./csted_tiny_synthetic.py']
model = dict(temporal_encoder=None, spatial_encoder=dict(cmam_stages=()))
