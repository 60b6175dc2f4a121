"""The model's forward stays what it was before the speed work of issue 23.

``tiny_csted_logits_865c527.pth`` holds the five logit maps of the tiny
CSTED (the synthetic benchmark's model, built with ``torch.manual_seed(0)``,
BN statistics drawn as in :func:`_bn_statistics`, eval mode,
``make_batch(n=2)``: two queries of different lengths, so the text encoders
see padding), computed by the code of commit 865c527. Speed changes (CMAM's
pooled scores, the unpacked GRU, BN folding) must keep them to 1e-4.
If a change of the model's construction order alters the seeded weights,
regenerate the file with the commit before that change, never after.
"""
import os.path as osp

import torch

from mmcsted.models.utils import fuse_conv_bn
from ..utils import build_tiny, make_batch

REFERENCE = osp.join(
    osp.dirname(osp.dirname(__file__)), 'data',
    'tiny_csted_logits_865c527.pth')


def _bn_statistics(model) -> None:
    gen = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.running_mean.copy_(
                torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(
                torch.rand(m.num_features, generator=gen) + 0.5)


def _seeded_model():
    torch.manual_seed(0)
    model = build_tiny()
    _bn_statistics(model)
    return model.eval()


def test_forward_equals_the_reference():
    reference = torch.load(REFERENCE, weights_only=True)
    model = _seeded_model()
    data = model.data_preprocessor(make_batch(n=2))
    with torch.no_grad():
        logits = model(**data, mode='tensor')
        fuse_conv_bn(model)
        fused = model(**data, mode='tensor')
    assert len(logits) == len(reference) == 5
    for ours, ref in zip(logits, reference):
        torch.testing.assert_close(ours, ref, rtol=0, atol=1e-4)
    for ours, ref in zip(fused, reference):
        torch.testing.assert_close(ours, ref, rtol=0, atol=1e-4)


def test_predict_computes_the_finest_map_only():
    model = _seeded_model()
    data = model.data_preprocessor(make_batch(n=2))
    heads = model.decode_head.mask_heads
    calls = []
    handles = [
        h.register_forward_hook(lambda m, i, o, k=k: calls.append(k))
        for k, h in enumerate(heads)
    ]
    with torch.no_grad():
        out = model(**data, mode='predict')
    for h in handles:
        h.remove()
    assert calls == [0]
    reference = torch.load(REFERENCE, weights_only=True)[0]
    prob = torch.nn.functional.interpolate(
        reference, (64, 64), mode='bilinear', align_corners=False).sigmoid()
    torch.testing.assert_close(
        out[0].seg_logits.data, prob[0], rtol=0, atol=1e-4)
