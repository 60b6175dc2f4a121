_base_ = [
    '../../_base_/models/csted_tiny.py',
    '../../_base_/datasets/synthetic_mevis.py',
    '../../_base_/schedules/synthetic_cpu.py',
    '../../_base_/default_runtime.py'
]
vocab_file = {{_base_.vocab_file}}
model = dict(
    spatial_encoder=dict(text_encoder=dict(vocab_file=vocab_file)),
    temporal_encoder=dict(text_encoder=dict(vocab_file=vocab_file)))
default_hooks = dict(
    logger=dict(interval=50), checkpoint=dict(save_best='J&F'))
