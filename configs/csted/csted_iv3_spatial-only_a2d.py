# Table 3a "spatial only"; stage 1 (spatial) of the two-stage recipe.
_base_ = ['./csted_iv3_i3d_a2d.py']
model = dict(temporal_encoder=None)
