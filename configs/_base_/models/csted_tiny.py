# A small CSTED for the CPU and for tests: the paper's model
# (csted_iv3_i3d.py: the same modules and code paths, CMAM at stages 1..5,
# LGFS, deep supervision) with narrow ResNet-18 (2D, mmpretrain) and
# ResNet3d-18 (3D, mmaction2) encoders trained from scratch, small text
# encoders and a narrow decoder. Only what differs is stated here.
# (The backbones are written out: mmaction2 has no 3D ResNet-18 config, and a
# config inherits at most one base with a `model`, here the paper's.)
_base_ = ['./csted_iv3_i3d.py']
base_channels = 16

# (`_delete_`: the paper's GloVe options do not apply; each use below is a
# copy, as mmengine consumes `_delete_` when it merges a dict)
text_encoder = dict(
    _delete_=True,
    type='GRUTextEncoder',
    # The vocabulary of the training queries; top-level configs set it from
    # the dataset config (`vocab_file`).
    vocab_file=None,
    embed_dims=32,
    hidden_dims=64,
    max_words=20)
cmam = dict(mid_channels=32)

model = dict(
    spatial_encoder=dict(
        backbone=dict(
            _delete_=True,
            type='StagedBackbone',
            backbone=dict(
                type='mmpretrain.ResNet',
                depth=18,
                stem_channels=base_channels,
                base_channels=base_channels)),
        text_encoder=dict(text_encoder),
        cmam=cmam),
    temporal_encoder=dict(
        backbone=dict(
            _delete_=True,
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
        text_encoder=dict(text_encoder),
        cmam=cmam),
    decode_head=dict(channels=32, mask_channels=16))
