# mmaction2's R(2+1)D-34 (Kinetics-400).
r2plus1d_ckpt = (
    'https://download.openmmlab.com/mmaction/v1.0/recognition/r2plus1d/'
    'r2plus1d_r34_8xb8-8x8x1-180e_kinetics400-rgb/'
    'r2plus1d_r34_8xb8-8x8x1-180e_kinetics400-rgb_20220812-47cfe041.pth')
r2plus1d_backbone = dict(
    _delete_=True,
    type='StagedBackbone',
    backbone=dict(
        type='mmaction.ResNet2Plus1d',
        depth=34,
        pretrained=None,
        pretrained2d=False,
        conv_cfg=dict(type='Conv2plus1d'),
        norm_cfg=dict(type='BN3d', requires_grad=True, eps=1e-3),
        conv1_kernel=(3, 7, 7),
        conv1_stride_t=1,
        pool1_stride_t=1,
        inflate=(1, 1, 1, 1),
        spatial_strides=(1, 2, 2, 2),
        temporal_strides=(1, 2, 2, 2),
        zero_init_residual=False),
    init_cfg=dict(
        type='Pretrained', checkpoint=r2plus1d_ckpt, prefix='backbone.'))
