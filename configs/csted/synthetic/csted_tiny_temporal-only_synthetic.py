# Table 3a row "temporal only" on the synthetic benchmark: 3D encoder on the
# clip, no CMAM. Without CMAM a single encoder has no language path: this row
# cannot read the query (see csted_tiny_temporal-only-cmam_*.py).
_base_ = ['./csted_tiny_synthetic.py']
model = dict(spatial_encoder=None, temporal_encoder=dict(cmam_stages=()))
# The text encoders get no gradient in this row (nothing reads the query).
find_unused_parameters = True
