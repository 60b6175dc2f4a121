# Table 3a "temporal only"; stage 1 (temporal) of the two-stage recipe.
_base_ = ['./csted_iv3_i3d_a2d.py']
model = dict(spatial_encoder=None)
