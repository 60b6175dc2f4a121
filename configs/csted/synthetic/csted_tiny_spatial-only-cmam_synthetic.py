_base_ = ['./csted_tiny_synthetic.py']
model = dict(temporal_encoder=None)
