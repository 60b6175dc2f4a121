# The authors' CSTM CSTED, converted checkpoint (see README).
_base_ = [
    '../_base_/models/csted_r50_i3d_cstm.py',
    '../_base_/datasets/a2d_sentences_cstm.py', '../_base_/default_runtime.py'
]
model = dict(test_cfg=dict(keep_input_seg_logits=True))
train_dataloader = None
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
