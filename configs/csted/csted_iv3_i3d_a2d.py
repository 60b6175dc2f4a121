# One-stage training; the paper's two-stage recipe: see README.
_base_ = [
    '../_base_/models/csted_iv3_i3d.py', '../_base_/datasets/a2d_sentences.py',
    '../_base_/schedules/adam_12e.py', '../_base_/default_runtime.py'
]
vocab_file = {{_base_.vocab_file}}
model = dict(
    spatial_encoder=dict(text_encoder=dict(vocab_file=vocab_file)),
    temporal_encoder=dict(text_encoder=dict(vocab_file=vocab_file)))
