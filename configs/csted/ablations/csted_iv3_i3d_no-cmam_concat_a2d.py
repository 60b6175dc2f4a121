# Table 3a/3b: both encoders, no CMAM, fusion by concat (no language).
_base_ = ['../csted_iv3_i3d_a2d.py']
model = dict(
    spatial_encoder=dict(cmam_stages=()),
    temporal_encoder=dict(cmam_stages=()),
    decode_head=dict(
        fusion=dict(_delete_=True, type='SimpleFusion', mode='concat')))
# The text encoders get no gradient in this row (nothing reads the query).
find_unused_parameters = True
