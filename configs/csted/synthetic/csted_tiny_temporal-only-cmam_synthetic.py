# The temporal network alone, with its CMAMs (stage 1 of the paper's recipe):
# the 3D encoder on the clip, modulated by the query at stages 1..5.
_base_ = ['./csted_tiny_synthetic.py']
model = dict(spatial_encoder=None)
