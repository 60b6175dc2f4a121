# CSTED (IV3 + I3D) trained on Ref-YouTube-VOS train with the paper's A2D
# hyper-parameters (Adam 5e-4, batch 8, 12 epochs, lr / 10 after epoch 8;
# T = 8, 320 x 320): our choice, the paper has no Ref-YouTube-VOS setting.
#   python tools/train.py configs/csted/csted_iv3_i3d_ref-youtube-vos.py
#   python tools/test.py configs/csted/csted_iv3_i3d_ref-youtube-vos.py CKPT
# test.py writes the valid split's submission zip (work_dirs/
# ref_youtube_vos_submission/submission.zip) for the challenge server; valid
# has no public masks, so nothing is scored locally and no checkpoint is
# chosen by a validation score (the last epoch is the model).
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
