# A2D hyper-parameters: our choice; valid is scored by the server only.
_base_ = [
    '../_base_/models/csted_iv3_i3d.py',
    '../_base_/datasets/ref_youtube_vos.py', '../_base_/schedules/adam_12e.py',
    '../_base_/default_runtime.py'
]
vocab_file = {{_base_.vocab_file}}
model = dict(
    spatial_encoder=dict(text_encoder=dict(vocab_file=vocab_file)),
    temporal_encoder=dict(text_encoder=dict(vocab_file=vocab_file)))
val_cfg = None
default_hooks = dict(checkpoint=dict(save_best=None))
