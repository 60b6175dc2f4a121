# Table 3a row "spatial only" on the synthetic benchmark: 2D encoder on the
# target frame, no CMAM. Without CMAM a single encoder has no language path:
# this row cannot read the query (see csted_tiny_spatial-only-cmam_*.py).
_base_ = ['./csted_tiny_synthetic.py']
model = dict(temporal_encoder=None, spatial_encoder=dict(cmam_stages=()))
# The text encoders get no gradient in this row (nothing reads the query).
find_unused_parameters = True
