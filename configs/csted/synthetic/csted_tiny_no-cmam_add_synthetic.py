# Table 3a/3b row on the synthetic benchmark: both encoders, no CMAM, fusion
# by add.
_base_ = ['./csted_tiny_synthetic.py']
model = dict(
    spatial_encoder=dict(cmam_stages=()),
    temporal_encoder=dict(cmam_stages=()),
    decode_head=dict(
        fusion=dict(_delete_=True, type='SimpleFusion', mode='add')))
# The text encoders get no gradient in this row (nothing reads the query).
find_unused_parameters = True
