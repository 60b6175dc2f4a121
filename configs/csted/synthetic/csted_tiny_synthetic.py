# The built-in default: a small CSTED (ResNet-18 2D + ResNet3d-18, narrow, from
# scratch, both encoders with CMAM at stages 1..5, LGFS fusion) on the
# synthetic A2D-format benchmark (tools/data/synthetic/generate.py). Trains on
# 2 CPU cores in minutes.
_base_ = [
    '../../_base_/models/csted_tiny.py',
    '../../_base_/datasets/synthetic_a2d.py',
    '../../_base_/schedules/synthetic_cpu.py',
    '../../_base_/default_runtime.py'
]
vocab_file = {{_base_.vocab_file}}
model = dict(
    spatial_encoder=dict(text_encoder=dict(vocab_file=vocab_file)),
    temporal_encoder=dict(text_encoder=dict(vocab_file=vocab_file)))
default_hooks = dict(logger=dict(interval=50))
