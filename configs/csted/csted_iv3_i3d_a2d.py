# CSTED (IV3 + I3D) on A2D Sentences, trained end to end in one stage with the
# paper's hyper-parameters: T = 8, 320 x 320, Adam 5e-4, batch 8, 12 epochs,
# lr / 10 after epoch 8. The paper's own two-stage recipe is
# csted_iv3_spatial-only_a2d.py + csted_i3d_temporal-only_a2d.py, then
# csted_iv3_i3d_two-stage_a2d.py.
_base_ = [
    '../_base_/models/csted_iv3_i3d.py', '../_base_/datasets/a2d_sentences.py',
    '../_base_/schedules/adam_12e.py', '../_base_/default_runtime.py'
]
vocab_file = {{_base_.vocab_file}}
model = dict(
    spatial_encoder=dict(text_encoder=dict(vocab_file=vocab_file)),
    temporal_encoder=dict(text_encoder=dict(vocab_file=vocab_file)))
