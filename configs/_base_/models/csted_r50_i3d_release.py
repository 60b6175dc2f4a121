# The authors' released CSTED (RyanHTR/CSTM: test code and a trained
# checkpoint), as switches on mmcsted's modules, to load the converted release
# checkpoint and reproduce its outputs (../shared/METHOD.md, "The authors'
# release, exactly"):
# - spatial: ResNet-50 (mmpretrain, torchvision's parameter names), stages
#   conv1-bn1-relu | maxpool+layer1 | layer2 | layer3 | layer4, on clip
#   index 4;
# - temporal: Inception-v1 I3D in hassony2's old layout: static TF padding
#   (zeros, ceil_mode pools), BN eps 1e-5; the decoder reads each stage's
#   middle time step T' // 2;
# - ONE text encoder for both branches: fixed GloVe 840B vectors (zero for
#   unknown tokens and pads), the release tokeniser (20 positions), a bias-free
#   GRU 300 -> 512, LayerNorm + tanh;
# - the release's CMAM after each of the 5 stages of both encoders (vt =
#   conv-BN-ReLU of [V, coord], BN key/query, padding positions in the softmax,
#   V + vt * (g - 0.5));
# - the release decoder (CSTMReleaseHead): no LGFS, concat + conv fusion, six
#   mask heads at strides 32..1.
# Inputs: RGB in [0, 1] (mean 0, std 255), no mean/std normalisation.
# No pretrained downloads: every weight (and the GloVe vectors of the
# vocabulary) comes from the converted checkpoint.
# The spatial backbone is mmpretrain's own ResNet-50 config (its ImageNet
# classifier's backbone; `model` replaces the classifier, `_delete_`).
_base_ = ['mmpretrain::_base_/models/resnet50.py']
text_encoder = dict(
    type='GloVeGRUTextEncoder',
    embed_dims=300,
    hidden_dims=512,
    max_words=20,
    # the converted checkpoint carries the vocabulary and its GloVe vectors
    vocab_from_checkpoint=True)
cmam = dict(
    style='release', mid_channels=512, with_coord=True, identity_init=True)

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
        # the release's spatial frame: video[:, :, 4]
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
        type='CSTMReleaseHead',
        channels=256,
        mask_channels=256,
        loss_decode=dict(type='MaskBCELoss')),
    test_cfg=dict(threshold=0.5))
