_base_ = ['./csted_iv3_i3d_a2d.py']
r50_ckpt = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
            'resnet50_8xb32_in1k_20210831-ea4938fc.pth')
model = dict(
    spatial_encoder=dict(
        backbone=dict(
            _delete_=True,
            type='StagedBackbone',
            backbone=dict(type='mmpretrain.ResNet', depth=50),
            init_cfg=dict(
                type='Pretrained', checkpoint=r50_ckpt, prefix='backbone.'))))
