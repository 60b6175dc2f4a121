# Test only: the A2D model without fine-tuning, vocabulary from the checkpoint.
_base_ = [
    '../_base_/models/csted_iv3_i3d.py',
    '../_base_/datasets/jhmdb_sentences.py', '../_base_/default_runtime.py'
]
text_encoder = dict(vocab_file=None, vocab_from_checkpoint=True)
model = dict(
    spatial_encoder=dict(
        backbone=dict(init_cfg=None), text_encoder=text_encoder),
    temporal_encoder=dict(
        backbone=dict(init_cfg=None), text_encoder=text_encoder))
test_cfg = dict(type='TestLoop')
