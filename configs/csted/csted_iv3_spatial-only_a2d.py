# Spatial encoder alone (IV3 + its GRU + CMAM + decoder). Paper Table 3a
# "spatial only", and stage 1 (spatial) of the paper's two-stage recipe.
_base_ = ['./csted_iv3_i3d_a2d.py']
model = dict(temporal_encoder=None)
