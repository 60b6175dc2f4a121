# J-HMDB Sentences is test-only: the A2D model is evaluated without
# fine-tuning (paper Table 2),
#   python tools/test.py configs/csted/csted_iv3_i3d_jhmdb.py A2D_CHECKPOINT
# The vocabulary is the A2D one stored in the checkpoint.
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
