"""torchvision's S3D as a CSTED temporal encoder (paper Table 3d)."""
import pytest
import torch
import torchvision

from mmcsted.models.backbones import StagedBackbone, TorchvisionS3D
from mmcsted.models.backbones.pretrained import load_pretrained_weights
from mmcsted.models.backbones.s3d import S3D_KINETICS400_URL

# Paper's stages for an 8-frame clip: channels, time steps, spatial stride.
CHANNELS = [64, 192, 480, 832, 1024]
TIME_STEPS = [4, 4, 4, 2, 1]
STRIDES = [2, 4, 8, 16, 32]


def _run_stages(module, x):
    outs = []
    for names in module.stage_names:
        for name in names:
            x = module.get_submodule(name)(x)
        outs.append(x)
    return outs


def _torchvision_file(tmp_path, name='s3d.pth'):
    """torchvision's S3D state dict with recognisable values, in a file."""
    torch.manual_seed(0)
    tv = torchvision.models.video.s3d(weights=None)
    state = tv.state_dict()
    for key in ('features.0.0.0.weight', 'features.15.branch3.1.1.running_var',
                'classifier.1.bias'):
        state[key] = torch.rand_like(state[key]) + 1
    path = tmp_path / name
    torch.save(state, path)
    return path, state


def test_stage_split_covers_features_in_order():
    names = [n for stage in TorchvisionS3D.stage_names for n in stage]
    assert names == [f'features.{i}' for i in range(16)]
    assert len(TorchvisionS3D().features) == 16


def test_stage_shapes_and_time_steps():
    m = TorchvisionS3D().eval()
    x = torch.randn(1, 3, 8, 64, 64)
    with torch.no_grad():
        outs = _run_stages(m, x)
        full = m(x)
    assert [o.shape[1] for o in outs] == CHANNELS
    assert [o.shape[2] for o in outs] == TIME_STEPS
    assert [64 // o.shape[-1] for o in outs] == STRIDES
    assert [64 // o.shape[-2] for o in outs] == STRIDES
    torch.testing.assert_close(outs[-1], full)  # no head: forward = features


def test_staged_backbone_uses_stage_names():
    bb = StagedBackbone(dict(type='TorchvisionS3D', num_classes=400))
    assert bb.ndim == 3
    assert bb.stage_modules == [list(s) for s in TorchvisionS3D.stage_names]
    assert bb.out_channels == tuple(CHANNELS)
    assert bb.spatial_strides == tuple(STRIDES)
    assert bb.dropped_children == ['avgpool', 'classifier']
    bb.eval()
    with torch.no_grad():
        outs = bb(torch.randn(1, 3, 8, 64, 64))
    assert [tuple(o.shape[1:3])
            for o in outs] == list(zip(CHANNELS, TIME_STEPS))


@pytest.mark.parametrize('num_classes', [None, 0])
def test_no_head(num_classes):
    m = TorchvisionS3D(num_classes=num_classes)
    keys = m.state_dict().keys()
    assert all(k.startswith('features.') for k in keys)
    assert not hasattr(m, 'classifier') and not hasattr(m, 'avgpool')


def test_parameter_names_are_torchvision_names():
    ours = TorchvisionS3D(num_classes=400).state_dict()
    theirs = torchvision.models.video.s3d(weights=None).state_dict()
    assert list(ours) == list(theirs)
    assert all(ours[k].shape == theirs[k].shape for k in ours)
    bn = TorchvisionS3D().features[0][0][1]
    assert (bn.eps, bn.momentum) == (1e-3, 1e-3)  # torchvision's BN


def test_torchvision_file_loads_strictly(tmp_path):
    path, state = _torchvision_file(tmp_path)
    m = TorchvisionS3D(num_classes=400)
    loaded = m.convert_pretrained(torch.load(path, weights_only=True))
    result = m.load_state_dict(loaded, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    own = m.state_dict()
    for key in ('features.0.0.0.weight', 'features.15.branch3.1.1.running_var',
                'classifier.1.bias'):
        torch.testing.assert_close(own[key], state[key])

    # The mmcsted loader, strict: no missing, unexpected or reshaped key.
    m2 = TorchvisionS3D(num_classes=400)
    report = load_pretrained_weights(
        m2, dict(checkpoint=str(path)), name='S3D', strict=True)
    assert report == dict(missing=[], unexpected=[], mismatched=[])
    torch.testing.assert_close(m2.features[15].branch3[1][1].running_var,
                               state['features.15.branch3.1.1.running_var'])


def test_pretrained_init_cfg_through_the_adapter(tmp_path):
    """The head is removed by the adapter; its tensors are left out quietly and
    every feature tensor arrives."""
    path, state = _torchvision_file(tmp_path)
    bb = StagedBackbone(
        dict(type='TorchvisionS3D', num_classes=400),
        init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    bb.init_weights()
    own = bb.backbone.state_dict()
    assert set(own) == {k for k in state if k.startswith('features.')}
    for key in own:
        torch.testing.assert_close(own[key], state[key])

    # The same through the module's own init_cfg (headless module).
    m = TorchvisionS3D(init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    m.init_weights()
    torch.testing.assert_close(m.features[0][0][0].weight,
                               state['features.0.0.0.weight'])


def test_wrong_layout_names_the_keys(tmp_path):
    _, state = _torchvision_file(tmp_path)
    m = TorchvisionS3D()
    # Another port's names (e.g. the I3D of kinetics_i3d_pytorch).
    foreign = {'conv3d_1a_7x7.conv3d.weight': torch.zeros(64, 3, 7, 7, 7)}
    with pytest.raises(ValueError, match='conv3d_1a_7x7.conv3d.weight'):
        m.convert_pretrained(foreign)
    # An outer prefix: the error names a key and the prefix to set.
    wrapped = {f'module.{k}': v for k, v in state.items()}
    with pytest.raises(ValueError, match="prefix='module.'"):
        m.convert_pretrained(wrapped)
    path = tmp_path / 'wrapped.pth'
    torch.save(wrapped, path)
    bb = StagedBackbone(
        dict(type='TorchvisionS3D'),
        init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(ValueError, match='module.features.0.0.0.weight'):
        bb.init_weights()
    # ... and with that prefix the file loads.
    bb = StagedBackbone(
        dict(type='TorchvisionS3D'),
        init_cfg=dict(
            type='Pretrained', checkpoint=str(path), prefix='module.'))
    bb.init_weights()
    torch.testing.assert_close(bb.backbone.features[0][0][0].weight,
                               state['features.0.0.0.weight'])


def test_weights_url_is_torchvisions():
    from torchvision.models.video import S3D_Weights
    assert S3D_Weights.KINETICS400_V1.url == S3D_KINETICS400_URL
    from mmcsted.utils.checkpoint import sha256_prefix_from_filename
    assert sha256_prefix_from_filename(S3D_KINETICS400_URL) == 'd76dad2f'
    transforms = S3D_Weights.KINETICS400_V1.transforms()
    assert tuple(transforms.mean) == TorchvisionS3D.mean
    assert tuple(transforms.std) == TorchvisionS3D.std
    assert all(
        abs(a - 255 * b) < 1e-4
        for a, b in zip(TorchvisionS3D.mean_255 +
                        TorchvisionS3D.std_255, TorchvisionS3D.mean +
                        TorchvisionS3D.std))
