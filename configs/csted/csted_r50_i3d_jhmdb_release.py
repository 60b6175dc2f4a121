# The authors' released CSTED (R50 + Inception-I3D, RyanHTR/CSTM) on J-HMDB
# Sentences (test only, the A2D model without fine-tuning), with the converted
# release checkpoint:
#   python tools/test.py configs/csted/csted_r50_i3d_jhmdb_release.py \
#       CONVERTED_RELEASE_CHECKPOINT
# Model: ../_base_/models/csted_r50_i3d_release.py. The vocabulary and its
# GloVe vectors come from the checkpoint: the conversion must include the
# J-HMDB queries' tokens (--vocab), or they read as zero vectors (logged as
# unknown). Data and scoring: ../_base_/datasets/jhmdb_sentences_release.py.
_base_ = [
    '../_base_/models/csted_r50_i3d_release.py',
    '../_base_/datasets/jhmdb_sentences_release.py',
    '../_base_/default_runtime.py'
]
model = dict(test_cfg=dict(keep_input_score=True))
test_cfg = dict(type='TestLoop')
