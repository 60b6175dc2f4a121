# The authors' CSTM CSTED (RyanHTR/CSTM); see configs/_base_/README.md.
_base_ = ['mmpretrain::_base_/models/resnet50.py']
text_encoder = dict(
    type='GloVeGRUTextEncoder',
    embed_dims=300,
    hidden_dims=512,
    max_words=20,
    vocab_from_checkpoint=True)
cmam = dict(
    style='cstm', mid_channels=512, with_coord=True, identity_init=True)

model = dict(
    _delete_=True,
    type='CSTED',
    clip_len=8,
    text_encoder=text_encoder,
    # the release slices t[:, :, T' // 2] at every stage
    temporal_index='middle',
    data_preprocessor=dict(
        type='CSTEDDataPreprocessor',
        mean=[0., 0., 0.],
        std=[255., 255., 255.],
        size_divisor=32,
        # CSTM's spatial frame: video[:, :, 4]
        frame_index=4),
    spatial_encoder=dict(
        type='LanguageGuidedEncoder',
        backbone=dict(
            type='StagedBackbone',
            backbone=dict(_base_.model.backbone, type='mmpretrain.ResNet')),
        text_encoder=None,
        cmam=cmam,
        cmam_stages=(1, 2, 3, 4, 5)),
    temporal_encoder=dict(
        type='LanguageGuidedEncoder',
        backbone=dict(
            type='StagedBackbone',
            backbone=dict(
                type='InceptionI3D',
                num_classes=None,
                same_padding='static',
                bn_eps=1e-5,
                bn_momentum=0.1)),
        text_encoder=None,
        cmam=cmam,
        cmam_stages=(1, 2, 3, 4, 5)),
    decode_head=dict(
        type='CSTMHead',
        channels=256,
        mask_channels=256,
        loss_decode=dict(type='MaskBCELoss')),
    test_cfg=dict(threshold=0.5))
