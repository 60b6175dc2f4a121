# mmaction2's I3D ResNet3d-50 (Kinetics-400), not the paper's I3D.
i3d_r3d50_ckpt = (
    'https://download.openmmlab.com/mmaction/v1.0/recognition/i3d/'
    'i3d_imagenet-pretrained-r50_8xb8-32x2x1-100e_kinetics400-rgb/'
    'i3d_imagenet-pretrained-r50_8xb8-32x2x1-100e_kinetics400-rgb_'
    '20220812-e213c223.pth')
i3d_r3d50_backbone = dict(
    _delete_=True,
    type='StagedBackbone',
    backbone=dict(
        type='mmaction.ResNet3d',
        depth=50,
        pretrained=None,
        pretrained2d=False,
        conv1_kernel=(5, 7, 7),
        conv1_stride_t=2,
        pool1_stride_t=2,
        inflate=((1, 1, 1), (1, 0, 1, 0), (1, 0, 1, 0, 1, 0), (0, 1, 0)),
        zero_init_residual=False),
    init_cfg=dict(
        type='Pretrained', checkpoint=i3d_r3d50_ckpt, prefix='backbone.'))
