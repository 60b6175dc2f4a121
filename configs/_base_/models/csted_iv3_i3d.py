# The paper's model; notes in configs/_base_/README.md.
_base_ = [
    'mmpretrain::_base_/models/inception_v3.py', './inception_i3d_k400.py'
]

iv3_ckpt = ('https://download.openmmlab.com/mmclassification/v0/inception-v3/'
            'inception-v3_3rdparty_8xb32_in1k_20220615-dcd4d910.pth')
imagenet_mean = [123.675, 116.28, 103.53]
imagenet_std = [58.395, 57.12, 57.375]

text_encoder = dict(
    type='GRUTextEncoder',
    vocab_file=None,
    embed_dims=300,
    hidden_dims=512,
    max_words=20,
    glove_file=None)  # e.g. 'data/glove/glove.840B.300d.zip'
cmam = dict(mid_channels=256, with_coord=True, identity_init=True)

model = dict(
    _delete_=True,
    type='CSTED',
    clip_len=8,
    data_preprocessor=dict(
        type='CSTEDDataPreprocessor',
        mean=imagenet_mean,
        std=imagenet_std,
        size_divisor=32),
    spatial_encoder=dict(
        type='LanguageGuidedEncoder',
        backbone=dict(
            type='StagedBackbone',
            backbone=dict(
                _base_.model.backbone, type='mmpretrain.InceptionV3'),
            same_padding=True,
            renormalize=dict(
                from_mean=imagenet_mean,
                from_std=imagenet_std,
                to_mean=[127.5] * 3,
                to_std=[127.5] * 3),
            init_cfg=dict(
                type='Pretrained', checkpoint=iv3_ckpt, prefix='backbone.')),
        text_encoder=text_encoder,
        cmam=cmam,
        cmam_stages=(1, 2, 3, 4, 5)),
    temporal_encoder=dict(
        type='LanguageGuidedEncoder',
        backbone=_base_.inception_i3d_k400,
        text_encoder=text_encoder,
        cmam=cmam,
        cmam_stages=(1, 2, 3, 4, 5)),
    decode_head=dict(
        type='CSTEDHead',
        channels=256,
        fusion=dict(type='LGFS'),
        mask_channels=64,
        deep_supervision=True,
        loss_decode=dict(type='MaskBCELoss')),
    test_cfg=dict(threshold=0.5))
