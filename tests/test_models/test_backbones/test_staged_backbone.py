import pytest
import torch

from mmcsted.models.backbones import StagedBackbone

R3D_TINY = dict(
    type='mmaction.ResNet3d',
    depth=18,
    base_channels=8,
    pretrained=None,
    pretrained2d=False,
    conv1_kernel=(3, 7, 7),
    inflate=(1, 1, 1, 1))


def _shapes(bb, x):
    return [tuple(f.shape) for f in bb(x)]


def test_resnet3d_stages_shapes():
    bb = StagedBackbone(R3D_TINY)
    assert bb.ndim == 3
    shapes = _shapes(bb, torch.randn(1, 3, 8, 64, 64))
    assert shapes == [(1, 8, 8, 32, 32), (1, 8, 8, 16, 16), (1, 16, 4, 8, 8),
                      (1, 32, 4, 4, 4), (1, 64, 4, 2, 2)]
    assert bb.spatial_strides == (2, 4, 8, 16, 32)
    assert bb.temporal_strides == (1, 1, 2, 2, 2)


def test_stages_compose_to_the_backbone_forward():
    torch.manual_seed(0)
    bb = StagedBackbone(dict(R3D_TINY, out_indices=(3, )))
    bb.init_weights()
    bb.eval()
    x = torch.randn(1, 3, 8, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(bb(x)[-1], bb.backbone(x))


def test_resnet2d_and_inception_stages():
    r18 = StagedBackbone(
        dict(
            type='mmpretrain.ResNet',
            depth=18,
            stem_channels=8,
            base_channels=8))
    assert r18.ndim == 2
    assert _shapes(r18, torch.randn(1, 3, 64, 64))[0] == (1, 8, 32, 32)
    iv3 = StagedBackbone(
        dict(type='mmpretrain.InceptionV3'), same_padding=True)
    shapes = _shapes(iv3, torch.randn(1, 3, 64, 64))
    assert [s[1] for s in shapes] == [64, 192, 288, 768, 2048]
    assert [s[-1] for s in shapes] == [32, 16, 8, 4, 2]
    assert not hasattr(iv3.backbone, 'fc')  # the classifier is dropped


def test_unknown_backbone_needs_stage_modules():
    with pytest.raises(ValueError, match='stage_modules'):
        StagedBackbone(dict(type='mmpretrain.MobileNetV2'))


def _recognizer_checkpoint(tmp_path, cfg):
    """A checkpoint laid out as an mmaction2 recognizer (keys `backbone.*`)."""
    from mmcsted.registry import MODELS
    src = MODELS.build(cfg)
    for p in src.parameters():
        torch.nn.init.normal_(p)
    state = {f'backbone.{k}': v for k, v in src.state_dict().items()}
    state['cls_head.fc_cls.weight'] = torch.zeros(3, 4)
    path = tmp_path / 'recognizer.pth'
    torch.save({'state_dict': state, 'meta': {'epoch': 3}}, path)
    return path, src


def test_pretrained_weights_really_arrive(tmp_path):
    path, src = _recognizer_checkpoint(tmp_path, R3D_TINY)
    bb = StagedBackbone(
        R3D_TINY,
        init_cfg=dict(
            type='Pretrained', checkpoint=str(path), prefix='backbone.'))
    bb.init_weights()
    for k, v in src.state_dict().items():
        torch.testing.assert_close(bb.backbone.state_dict()[k], v)


def test_the_mmaction_trap_is_closed(tmp_path):
    """mmaction2's own loading of the same file matches no key and says
    nothing; the adapter refuses a checkpoint that fits nothing."""
    path, src = _recognizer_checkpoint(tmp_path, R3D_TINY)
    from mmcsted.registry import MODELS
    naive = MODELS.build(dict(R3D_TINY, pretrained=str(path)))
    naive.init_weights()
    w = 'conv1.conv.weight'
    assert not torch.equal(naive.state_dict()[w], src.state_dict()[w])
    bb = StagedBackbone(
        R3D_TINY,
        init_cfg=dict(
            type='Pretrained', checkpoint=str(path), prefix='cls_head.'))
    with pytest.raises(RuntimeError, match='no weight that fits'):
        bb.init_weights()
    with pytest.raises(KeyError, match='no key under'):
        StagedBackbone(
            R3D_TINY,
            init_cfg=dict(
                type='Pretrained', checkpoint=str(path),
                prefix='neck.')).init_weights()


def test_frozen_backbone_stays_in_eval_mode():
    bb = StagedBackbone(R3D_TINY, frozen=True)
    bb.train()
    assert not bb.training
    assert not any(p.requires_grad for p in bb.parameters())


def test_renormalize_matches_the_target_normalisation():
    bb = StagedBackbone(
        dict(
            type='mmpretrain.ResNet',
            depth=18,
            stem_channels=8,
            base_channels=8),
        renormalize=dict(
            from_mean=[100.] * 3,
            from_std=[50.] * 3,
            to_mean=[127.5] * 3,
            to_std=[127.5] * 3))
    raw = torch.rand(1, 3, 8, 8) * 255
    x = (raw - 100) / 50
    shape = (1, -1, 1, 1)
    got = x * bb.norm_scale.view(shape) + bb.norm_shift.view(shape)
    torch.testing.assert_close(got, (raw - 127.5) / 127.5)
