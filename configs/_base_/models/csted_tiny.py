# The small CPU CSTED: only what differs from csted_iv3_i3d.py.
_base_ = ['./csted_iv3_i3d.py']
base_channels = 16

# copied per use below: mmengine consumes `_delete_` when it merges
text_encoder = dict(
    _delete_=True,
    type='GRUTextEncoder',
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
