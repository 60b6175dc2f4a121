_base_ = ['./csted_tiny_synthetic.py']
model = dict(
    temporal_encoder=None,
    spatial_encoder=dict(cmam_stages=()),
    decode_head=dict(language_concat=True))
