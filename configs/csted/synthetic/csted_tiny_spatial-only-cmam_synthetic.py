# The spatial network alone, with its CMAMs (stage 1 of the paper's recipe):
# the 2D encoder on the target frame, modulated by the query at stages 1..5.
# Unlike the Table 3a "spatial only" row (no CMAM, so no language at all), it
# can read the query: the baseline that must fail on twins, which only motion
# tells apart.
_base_ = ['./csted_tiny_synthetic.py']
model = dict(temporal_encoder=None)
