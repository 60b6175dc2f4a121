# CSTED (IV3 + I3D) trained on MeViS train, validated on valid_u (J&F, the
# best epoch kept), tested on valid (the server's zip). The paper's A2D
# hyper-parameters (Adam 5e-4, batch 8, 12 epochs, lr / 10 after epoch 8;
# T = 8, 320 x 320): our choice, the paper has no MeViS setting.
#   python tools/train.py configs/csted/csted_iv3_i3d_mevis.py
#   python tools/test.py configs/csted/csted_iv3_i3d_mevis.py CKPT
# To score valid_u with the test tool:
#   --cfg-options test_dataloader.dataset.split=valid_u \
#       test_evaluator.format_only=False
_base_ = [
    '../_base_/models/csted_iv3_i3d.py', '../_base_/datasets/mevis.py',
    '../_base_/schedules/adam_12e.py', '../_base_/default_runtime.py'
]
vocab_file = {{_base_.vocab_file}}
model = dict(
    spatial_encoder=dict(text_encoder=dict(vocab_file=vocab_file)),
    temporal_encoder=dict(text_encoder=dict(vocab_file=vocab_file)))
default_hooks = dict(checkpoint=dict(save_best='J&F'))
