# The authors' released CSTED (R50 + Inception-I3D, RyanHTR/CSTM) on A2D
# Sentences, with the converted release checkpoint
# (tools/model_converters/cstm_release_to_mmcsted.py):
#   python tools/test.py configs/csted/csted_r50_i3d_a2d_release.py \
#       CONVERTED_RELEASE_CHECKPOINT
# Model: ../_base_/models/csted_r50_i3d_release.py (spatial frame = clip
# index 4 and the temporal middle slices are the model's own switches:
# data_preprocessor.frame_index=4, temporal_index='middle').
# Data and scoring: ../_base_/datasets/a2d_sentences_release.py (the release's
# clip rule, PIL stretch to 320, raw query strings, its metric).
_base_ = [
    '../_base_/models/csted_r50_i3d_release.py',
    '../_base_/datasets/a2d_sentences_release.py',
    '../_base_/default_runtime.py'
]
# the release metric scores the probability at the input size
model = dict(test_cfg=dict(keep_input_score=True))
# Test only (the release has no training code).
train_dataloader = None
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
