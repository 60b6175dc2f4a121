# Ref-DAVIS17 is test-only: the Ref-YouTube-VOS model is evaluated without
# fine-tuning, as ReferFormer and MTTR do,
#   python tools/test.py \
#       configs/csted/csted_iv3_i3d_ref-youtube-vos_ref-davis17.py \
#       REF_YTVOS_CHECKPOINT
# ReferFormer's four-run protocol (RefDAVIS17Metric). The vocabulary is the
# Ref-YouTube-VOS one stored in the checkpoint (DAVIS words outside it read as
# <unk>, counted in the log).
_base_ = [
    '../_base_/models/csted_iv3_i3d.py', '../_base_/datasets/ref_davis17.py',
    '../_base_/default_runtime.py'
]
text_encoder = dict(vocab_file=None, vocab_from_checkpoint=True)
model = dict(
    spatial_encoder=dict(
        backbone=dict(init_cfg=None), text_encoder=text_encoder),
    temporal_encoder=dict(
        backbone=dict(init_cfg=None), text_encoder=text_encoder))
test_cfg = dict(type='TestLoop')
