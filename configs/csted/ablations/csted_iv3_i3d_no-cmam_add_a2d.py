_base_ = ['../csted_iv3_i3d_a2d.py']
model = dict(
    spatial_encoder=dict(cmam_stages=()),
    temporal_encoder=dict(cmam_stages=()),
    decode_head=dict(
        language_concat=True,
        fusion=dict(_delete_=True, type='SimpleFusion', mode='add')))
