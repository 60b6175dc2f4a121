_base_ = ['./csted_tiny_synthetic.py']
model = dict(spatial_encoder=None)
