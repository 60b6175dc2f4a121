# The authors' CSTM CSTED on J-HMDB, converted checkpoint (see README).
_base_ = [
    '../_base_/models/csted_r50_i3d_cstm.py',
    '../_base_/datasets/jhmdb_sentences_cstm.py',
    '../_base_/default_runtime.py'
]
model = dict(test_cfg=dict(keep_input_seg_logits=True))
test_cfg = dict(type='TestLoop')
