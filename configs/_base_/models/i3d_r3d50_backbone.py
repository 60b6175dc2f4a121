# mmaction2's I3D ResNet3d-50 (Kinetics-400) as a StagedBackbone: NOT the paper's
# I3D (that is the Inception-v1 I3D of csted_iv3_i3d.py). It keeps 4, 2, 1, 1,
# 1 time steps for 8 frames where the paper's keeps 4, 4, 4, 2, 1. Used by the
# variant configs `*_i3d-r3d50_*` as `temporal_encoder.backbone`.
# Written out rather than inherited from mmaction2's own config: a config
# inherits at most one base with a `model` (mmengine), and the CSTED model it
# joins already has one. tests/test_configs/test_config_inheritance.py holds
# it to mmaction2's `_base_/models/` config.
i3d_r3d50_ckpt = ('https://download.openmmlab.com/mmaction/v1.0/recognition/i3d/'
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
