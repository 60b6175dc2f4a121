import pytest
import torch
import torch.nn as nn

from mmcsted.models.backbones.inception_i3d import Unit3D
from mmcsted.models.utils import (fuse_conv_bn, prepare_for_inference,
                                  to_channels_last)
from ..utils import build_tiny, make_batch


def _random_bn_statistics(model, seed=0):
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen))
            m.running_var.copy_(
                torch.rand(m.num_features, generator=gen) + 0.5)
            if m.weight is not None:
                m.weight.data.copy_(torch.randn(m.num_features, generator=gen))


def _count_bn(model):
    return sum(
        isinstance(m, nn.modules.batchnorm._BatchNorm)
        for m in model.modules())


def test_fused_tiny_model_predicts_the_same():
    torch.manual_seed(0)
    model = build_tiny()
    _random_bn_statistics(model)
    model.eval()
    data = model.data_preprocessor(make_batch(n=2))
    with torch.no_grad():
        before = model(**data, mode='tensor')
        assert _count_bn(model) > 0
        fuse_conv_bn(model)
        after = model(**data, mode='tensor')
    assert _count_bn(model) == 0
    for a, b in zip(before, after):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_3d_unit_without_bn_scale():
    torch.manual_seed(0)
    unit = Unit3D(4, 6, (3, 3, 3))
    _random_bn_statistics(unit)
    unit.eval()
    x = torch.randn(2, 4, 4, 8, 8)
    with torch.no_grad():
        before = unit(x)
        fuse_conv_bn(unit)
        after = unit(x)
    assert isinstance(unit.batch3d, nn.Identity)
    torch.testing.assert_close(before, after, rtol=1e-4, atol=1e-5)


def test_not_fused_across_an_activation_or_in_train_mode():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(),
                        nn.BatchNorm2d(4)).eval()
    fuse_conv_bn(net)
    assert isinstance(net[2], nn.BatchNorm2d)
    with pytest.raises(RuntimeError, match='eval mode'):
        fuse_conv_bn(net.train())


def test_prepared_for_inference_predicts_the_same():
    torch.manual_seed(0)
    model = build_tiny()
    _random_bn_statistics(model)
    model.eval()
    batch = make_batch(n=2)
    with torch.no_grad():
        before = model(**model.data_preprocessor(batch), mode='predict')
        before = [ds.seg_logits.data.clone() for ds in before]
        prepare_for_inference(model, fuse_bn=True, channels_last=True)
        assert _count_bn(model) == 0
        convs = [
            m.weight for m in model.modules()
            if isinstance(m, (nn.Conv2d, nn.Conv3d))
        ]
        assert all(
            w.is_contiguous(memory_format=torch.channels_last) if w.dim() ==
            4 else w.is_contiguous(memory_format=torch.channels_last_3d)
            for w in convs)
        after = model(**model.data_preprocessor(batch), mode='predict')
        for a, b in zip(after, before):
            torch.testing.assert_close(a.seg_logits.data, b, rtol=0, atol=1e-4)
        # bf16: the weights cast once, the forward under autocast
        prepare_for_inference(model, bf16=True)
        assert {p.dtype for p in model.parameters()} == {torch.bfloat16}
        with torch.autocast('cpu', dtype=torch.bfloat16):
            low = model(**model.data_preprocessor(batch), mode='predict')
    for a, b in zip(low, before):
        assert a.seg_logits.data.dtype == torch.float32
        assert (a.seg_logits.data - b).abs().max() < 0.05


def test_channels_last_keeps_other_weights():
    net = nn.Sequential(nn.Conv3d(2, 3, 1), nn.Linear(3, 3))
    to_channels_last(net)
    assert net[0].weight.is_contiguous(memory_format=torch.channels_last_3d)
    assert net[1].weight.is_contiguous()
