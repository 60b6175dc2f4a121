# A2D hyper-parameters: our choice, the paper has no MeViS setting.
_base_ = [
    '../_base_/models/csted_iv3_i3d.py', '../_base_/datasets/mevis.py',
    '../_base_/schedules/adam_12e.py', '../_base_/default_runtime.py'
]
vocab_file = {{_base_.vocab_file}}
model = dict(
    spatial_encoder=dict(text_encoder=dict(vocab_file=vocab_file)),
    temporal_encoder=dict(text_encoder=dict(vocab_file=vocab_file)))
default_hooks = dict(checkpoint=dict(save_best='J&F'))
