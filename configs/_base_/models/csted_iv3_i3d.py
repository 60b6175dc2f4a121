# CSTED, the paper's model: Inception V3 (ImageNet) spatial encoder,
# Carreira & Zisserman's Inception-v1 I3D (Kinetics-400) temporal encoder, a
# GRU per encoder, CMAM after stages 1..5, LGFS fusion in a 5-stage decoder.
# Input 8 x 320 x 320.
#
# The spatial backbone is mmpretrain's own Inception V3 config (its ImageNet
# classifier's backbone). mmengine lets a config inherit at most one base that
# defines `model` (bases may not share keys), so `model` below replaces the
# classifier (`_delete_`) and takes only its backbone; configs that swap a
# backbone of this model (R50, I3D-R50, R(2+1)D, S3D) therefore state theirs,
# and tests/test_configs/test_configs.py checks them against mmpretrain's and
# mmaction2's configs. Needs `register_all_modules()` first (its
# install_stack_workarounds) and setuptools < 81 (setup.cfg).
_base_ = [
    'mmpretrain::_base_/models/inception_v3.py',
    # the Kinetics-400 Inception-I3D (`inception_i3d_k400`, `i3d_ckpt`)
    './inception_i3d_k400.py'
]

# mmpretrain Inception V3, ImageNet-1k (torchvision port).
iv3_ckpt = ('https://download.openmmlab.com/mmclassification/v0/inception-v3/'
            'inception-v3_3rdparty_8xb32_in1k_20220615-dcd4d910.pth')
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
            # mmpretrain's: InceptionV3, 1000 classes, no auxiliary logits
            backbone=dict(
                _base_.model.backbone, type='mmpretrain.InceptionV3'),
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
