# Temporal encoder alone (I3D + its GRU + CMAM + decoder). Paper Table 3a
# "temporal only", and stage 1 (temporal) of the paper's two-stage recipe.
_base_ = ['./csted_iv3_i3d_a2d.py']
model = dict(spatial_encoder=None)
