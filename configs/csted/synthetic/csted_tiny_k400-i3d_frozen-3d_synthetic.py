_base_ = ['./csted_tiny_pretrained_frozen-3d_synthetic.py']
model = dict(
    temporal_encoder=dict(
        backbone=dict(_delete_=True, **_base_.inception_i3d_k400,
                      frozen=True)))
