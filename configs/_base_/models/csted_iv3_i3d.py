# CSTED, the paper's model: Inception V3 (ImageNet) spatial encoder, I3D-R50
# (Kinetics-400) temporal encoder, a GRU per encoder, CMAM after stages 1..5,
# LGFS fusion in a 5-stage decoder. Input 8 x 320 x 320.

# mmpretrain Inception V3, ImageNet-1k (torchvision port).
iv3_ckpt = ('https://download.openmmlab.com/mmclassification/v0/inception-v3/'
            'inception-v3_3rdparty_8xb32_in1k_20220615-dcd4d910.pth')
# mmaction2 I3D-R50, Kinetics-400 (32x2x1, 3D conv, no non-local).
i3d_ckpt = ('https://download.openmmlab.com/mmaction/v1.0/recognition/i3d/'
            'i3d_imagenet-pretrained-r50_8xb8-32x2x1-100e_kinetics400-rgb/'
            'i3d_imagenet-pretrained-r50_8xb8-32x2x1-100e_kinetics400-rgb_'
            '20220812-e213c223.pth')
imagenet_mean = [123.675, 116.28, 103.53]
imagenet_std = [58.395, 57.12, 57.375]

text_encoder = dict(
    type='GRUTextEncoder',
    # The vocabulary of the training queries; top-level configs set it from
    # the dataset config (`vocab_file`).
    vocab_file=None,
    embed_dims=300,
    hidden_dims=512,
    max_words=20,
    glove_file=None)  # e.g. 'data/glove/glove.840B.300d.zip'
cmam = dict(mid_channels=256, with_coord=True, identity_init=True)

model = dict(
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
            backbone=dict(type='mmpretrain.InceptionV3'),
            same_padding=True,
            # mmpretrain's Inception V3 was trained on (x - 127.5) / 127.5.
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
        backbone=dict(
            type='StagedBackbone',
            backbone=dict(
                type='mmaction.ResNet3d',
                depth=50,
                pretrained=None,
                pretrained2d=False,
                conv1_kernel=(5, 7, 7),
                conv1_stride_t=2,
                pool1_stride_t=2,
                inflate=((1, 1, 1), (1, 0, 1, 0), (1, 0, 1, 0, 1, 0),
                         (0, 1, 0)),
                zero_init_residual=False),
            init_cfg=dict(
                type='Pretrained', checkpoint=i3d_ckpt, prefix='backbone.')),
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
