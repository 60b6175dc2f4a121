import pytest
import torch

from mmcsted.models.necks import CMAM, coord_feature


def direct_cmam(m: CMAM, visual, words, mask):
    """METHOD.md's CMAM equations, one sample at a time, no shortcuts."""
    outs, weights = [], []
    for v, l, msk in zip(visual, words, mask):
        v_in = v
        if m.with_coord:
            c = coord_feature(v.shape[-2], v.shape[-1])
            if m.dims == 3:
                c = c.unsqueeze(1).expand(-1, v.shape[1], -1, -1)
            v_in = torch.cat([v, c])
        cv = v_in.reshape(v_in.shape[0], -1)  # Cv+8, P
        vp = m.visual_proj.weight.flatten(1) @ cv + m.visual_proj.bias[:, None]
        l_real = l[msk]  # K_real, Cl
        lp = l_real @ m.text_proj.weight[..., 0].T + m.text_proj.bias  # K, Cm
        a = lp @ vp  # K x P
        w = a.sum(1)
        w = torch.softmax(w / w.norm(), 0)
        sent = (w[:, None] * l_real).sum(0)
        g = torch.sigmoid(m.gate(sent))
        if m.identity_init:
            g = g - 0.5
        g = g.view(-1, *([1] * (v.dim() - 1)))
        outs.append(v + v * g)
        full_w = torch.zeros(l.shape[0])
        full_w[msk] = w
        weights.append(full_w)
    return torch.stack(outs), torch.stack(weights)


@pytest.mark.parametrize('dims', [2, 3])
@pytest.mark.parametrize('identity_init', [True, False])
def test_cmam_equals_direct_computation(dims, identity_init):
    torch.manual_seed(0)
    m = CMAM(6, 5, mid_channels=4, dims=dims, identity_init=identity_init)
    m.init_weights()
    torch.nn.init.normal_(m.gate.weight)  # a non-trivial gate
    shape = (2, 6, 3, 4, 5) if dims == 3 else (2, 6, 4, 5)
    visual = torch.randn(shape)
    words = torch.randn(2, 4, 5)
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]], dtype=torch.bool)
    m.record_attention = True
    out = m(visual, words, mask)
    expected, expected_w = direct_cmam(m, visual, words, mask)
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(
        m.last_word_weights, expected_w, rtol=1e-4, atol=1e-6)
    # Padding words get zero weight; real words' weights sum to 1.
    assert (m.last_word_weights[~mask] == 0).all()
    torch.testing.assert_close(m.last_word_weights.sum(1), torch.ones(2))
    # The fast path (no attention map) gives the same result.
    m.record_attention = False
    torch.testing.assert_close(
        m(visual, words, mask), out, rtol=1e-4, atol=1e-5)
    assert m.last_attention.shape == (2, 4) + shape[2:]


def test_padding_words_do_not_change_the_output():
    torch.manual_seed(1)
    m = CMAM(4, 3, mid_channels=4, identity_init=False)
    m.init_weights()
    visual = torch.randn(1, 4, 5, 5)
    words = torch.randn(1, 2, 3)
    mask = torch.ones(1, 2, dtype=torch.bool)
    padded = torch.cat([words, torch.randn(1, 3, 3) * 100], dim=1)
    pmask = torch.tensor([[1, 1, 0, 0, 0]], dtype=torch.bool)
    torch.testing.assert_close(
        m(visual, words, mask), m(visual, padded, pmask))


def test_zero_initialised_cmam_is_identity():
    m = CMAM(8, 6, dims=3, identity_init=True)
    m.init_weights()
    visual = torch.randn(2, 8, 2, 4, 4)
    out = m(visual, torch.randn(2, 3, 6), torch.ones(2, 3, dtype=torch.bool))
    torch.testing.assert_close(out, visual)


def test_coord_feature_values():
    c = coord_feature(2, 4)
    assert c.shape == (8, 2, 4)
    # cell (row 1, col 0): x in [-1, -0.5], y in [0, 1]
    torch.testing.assert_close(
        c[:, 1, 0], torch.tensor([-1., 0., -0.5, 1., -0.75, 0.5, 0.25, 0.5]))


def test_cmam_rejects_bad_dims():
    with pytest.raises(ValueError, match='2D or 3D'):
        CMAM(4, 4, dims=1)
