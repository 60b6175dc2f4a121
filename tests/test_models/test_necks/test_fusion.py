import pytest
import torch

from mmcsted.models.necks import LGFS, SimpleFusion


def test_lgfs_weights_sum_to_one_and_output_is_weighted_sum():
    torch.manual_seed(0)
    m = LGFS(channels=6, text_channels=5)
    s, t = torch.randn(2, 6, 3, 3), torch.randn(2, 6, 3, 3)
    sentence = torch.randn(2, 5)
    w = m.selection_weights(sentence)
    assert w.shape == (2, 2, 6)
    torch.testing.assert_close(w.sum(1), torch.ones(2, 6))
    gs, gt = m.spatial_gate(sentence), m.temporal_gate(sentence)
    ws = torch.exp(gs) / (torch.exp(gs) + torch.exp(gt))
    torch.testing.assert_close(w[:, 0], ws)
    out = m(s, t, sentence)
    expected = s * ws[..., None, None] + t * (1 - ws)[..., None, None]
    torch.testing.assert_close(out, expected)


@pytest.mark.parametrize('mode', ['add', 'max', 'concat'])
def test_simple_fusions(mode):
    m = SimpleFusion(4, mode=mode)
    s, t = torch.randn(2, 4, 3, 3), torch.randn(2, 4, 3, 3)
    out = m(s, t)
    assert out.shape == s.shape
    if mode == 'add':
        torch.testing.assert_close(out, s + t)
    elif mode == 'max':
        torch.testing.assert_close(out, torch.maximum(s, t))


def test_unknown_fusion_mode():
    with pytest.raises(ValueError, match='unknown fusion mode'):
        SimpleFusion(4, mode='mean')
