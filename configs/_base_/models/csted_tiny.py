# A small CSTED for the CPU and for tests: the same modules and code paths as the
# paper's model, with narrow ResNet-18 (2D, mmpretrain) and ResNet3d-18 (3D,
# mmaction2) encoders trained from scratch.
base_channels = 16

text_encoder = dict(
    type='GRUTextEncoder',
    # The vocabulary of the training queries; top-level configs set it from
    # the dataset config (`vocab_file`).
    vocab_file=None,
    embed_dims=32,
    hidden_dims=64,
    max_words=20)
cmam = dict(mid_channels=32, with_coord=True, identity_init=True)

model = dict(
    type='CSTED',
    clip_len=8,
    data_preprocessor=dict(
        type='CSTEDDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        size_divisor=32),
    spatial_encoder=dict(
        type='LanguageGuidedEncoder',
        backbone=dict(
            type='StagedBackbone',
            backbone=dict(
                type='mmpretrain.ResNet',
                depth=18,
                stem_channels=base_channels,
                base_channels=base_channels)),
        text_encoder=text_encoder,
        cmam=cmam,
        cmam_stages=(1, 2, 3, 4, 5)),
    temporal_encoder=dict(
        type='LanguageGuidedEncoder',
        backbone=dict(
            type='StagedBackbone',
            backbone=dict(
                type='mmaction.ResNet3d',
                depth=18,
                base_channels=base_channels,
                pretrained=None,
                pretrained2d=False,
                conv1_kernel=(3, 7, 7),
                conv1_stride_t=1,
                pool1_stride_t=1,
                inflate=(1, 1, 1, 1),
                zero_init_residual=False)),
        text_encoder=text_encoder,
        cmam=cmam,
        cmam_stages=(1, 2, 3, 4, 5)),
    decode_head=dict(
        type='CSTEDHead',
        channels=32,
        fusion=dict(type='LGFS'),
        mask_channels=16,
        deep_supervision=True,
        loss_decode=dict(type='MaskBCELoss')),
    test_cfg=dict(threshold=0.5))
