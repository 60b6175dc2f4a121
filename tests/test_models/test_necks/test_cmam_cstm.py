"""CMAM(style='cstm') against CSTM's equations written out here with
plain tensor ops (METHOD.md, last section; RyanHTR/CSTM
models/components/cmam.py):

    vt  = ReLU(BN(conv3x3([V, coord])))        (3D: 3x3x3, padding 1)
    key = BN(conv1x1(vt));  q = BN1d(conv1d(L))
    A   = key^T q (P x K);  w = softmax(normalize(sum_p A));  l = sum_k w_k L_k
    out = V + vt * (sigmoid(Linear(l)) - 0.5)
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmcsted.models.necks import CMAM, coord_feature
from mmcsted.models.necks.cmam import CSTM_KEY_MAP, convert_cstm_cmam_key

CSTM_KEYS = [
    'transform.conv.weight', 'transform.bn.weight', 'transform.bn.bias',
    'transform.bn.running_mean', 'transform.bn.running_var',
    'transform.bn.num_batches_tracked', 'key_proj.conv.weight',
    'key_proj.bn.weight', 'key_proj.bn.bias', 'key_proj.bn.running_mean',
    'key_proj.bn.running_var', 'key_proj.bn.num_batches_tracked',
    'query_proj.conv.weight', 'query_proj.bn.weight', 'query_proj.bn.bias',
    'query_proj.bn.running_mean', 'query_proj.bn.running_var',
    'query_proj.bn.num_batches_tracked', 'gate.weight', 'gate.bias'
]


def cstm_coord(h, w):
    """utils/tool.get_video_spatial_feature: Python floats into float32."""
    out = np.zeros((8, h, w), dtype=np.float32)
    for y in range(h):
        for x in range(w):
            xmin = x / w * 2 - 1
            xmax = (x + 1) / w * 2 - 1
            ymin = y / h * 2 - 1
            ymax = (y + 1) / h * 2 - 1
            out[:, y, x] = [
                xmin, ymin, xmax, ymax, (xmin + xmax) / 2, (ymin + ymax) / 2,
                1 / w, 1 / h
            ]
    return torch.from_numpy(out)


def bn_eval(x, p, prefix):
    """BatchNorm in eval mode, eps 1e-5, channels on dim 1."""
    shape = (1, -1) + (1, ) * (x.dim() - 2)
    mean = p[prefix + 'running_mean'].view(shape)
    var = p[prefix + 'running_var'].view(shape)
    return (x - mean) / torch.sqrt(var + 1e-5) * p[prefix + 'weight'].view(
        shape) + p[prefix + 'bias'].view(shape)


def cstm_cmam(p, visual, words, dims):
    """CSTM's CMAM forward plus the model's residual, on the
    parameters ``p`` (our names)."""
    n = visual.shape[0]
    coord = cstm_coord(*visual.shape[-2:])
    if dims == 3:
        coord = coord.unsqueeze(1).repeat(1, visual.shape[2], 1, 1)
    x = torch.cat(
        [visual, coord.unsqueeze(0).repeat(n, *[1] * coord.dim())], 1)
    conv = F.conv2d if dims == 2 else F.conv3d
    vt = torch.relu(
        bn_eval(
            conv(x, p['transform.conv.weight'], padding=1), p,
            'transform.bn.'))
    key = bn_eval(conv(vt, p['key_proj.conv.weight']), p, 'key_proj.bn.')
    key = key.reshape(n, key.shape[1], -1)  # N, Cm, P
    txt = words.transpose(1, 2)  # N, Cl, K
    query = bn_eval(
        F.conv1d(txt, p['query_proj.conv.weight']), p, 'query_proj.bn.')
    attn = torch.einsum('bcn,bct->bnt', key, query)  # N, P, K
    s = attn.sum(1, keepdim=True)  # N, 1, K
    s = s / s.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    w = torch.softmax(s, -1)
    sentence = (w * txt).sum(-1)  # N, Cl
    g = torch.sigmoid(sentence @ p['gate.weight'].T + p['gate.bias'])
    g = g.view(*g.shape, *[1] * (visual.dim() - 2))
    return visual + vt * (g - 0.5), w[:, 0], attn


def randomise(m, seed=0):
    """Non-trivial weights and BN statistics (eval-mode BN)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in m.state_dict().items():
            if name.endswith('num_batches_tracked'):
                continue
            if name.endswith('running_var'):
                t.copy_(torch.rand(t.shape, generator=g) + 0.5)
            else:
                t.copy_(torch.randn(t.shape, generator=g) * 0.5)
    return m.eval()


@pytest.mark.parametrize('dims', [2, 3])
def test_cstm_cmam_equals_the_release_equations(dims):
    torch.manual_seed(0)
    m = randomise(CMAM(6, 5, dims=dims, style='cstm'))
    assert list(m.state_dict()) == CSTM_KEYS
    assert m.mid_channels == 5  # Cm = the text width by default
    shape = (2, 6, 3, 4, 5) if dims == 3 else (2, 6, 4, 5)
    visual = torch.randn(shape)
    words = torch.randn(2, 7, 5)
    m.record_attention = True
    out = m(visual, words, torch.zeros(2, 7, dtype=torch.bool))
    expected, w, attn = cstm_cmam(dict(m.state_dict()), visual, words, dims)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(m.last_word_weights, w, rtol=1e-5, atol=1e-6)
    # recorded: A as (N, K, [T,] H, W); every position weighed, pads included
    assert m.last_attention.shape == (2, 7) + shape[2:]
    torch.testing.assert_close(
        m.last_attention.flatten(2).transpose(1, 2),
        attn,
        rtol=1e-5,
        atol=1e-4)
    assert (m.last_word_weights > 0).all()
    torch.testing.assert_close(m.last_word_weights.sum(1), torch.ones(2))
    assert m.last_gate.shape == (2, 6)


def test_cstm_cmam_ignores_the_mask_and_reads_every_position():
    m = randomise(CMAM(4, 3, style='cstm'), seed=1)
    visual, words = torch.randn(1, 4, 5, 5), torch.randn(1, 4, 3)
    all_real = torch.ones(1, 4, dtype=torch.bool)
    some_pad = torch.tensor([[1, 1, 0, 0]], dtype=torch.bool)
    torch.testing.assert_close(
        m(visual, words, all_real), m(visual, words, some_pad))
    torch.testing.assert_close(m(visual, words), m(visual, words, some_pad))
    changed = words.clone()
    changed[:, 3] += 1  # a "padding" position changes the output
    assert not torch.allclose(m(visual, words), m(visual, changed))


@pytest.mark.parametrize('dims', [2, 3])
def test_cstm_cmam_layers(dims):
    m = CMAM(6, 5, mid_channels=4, dims=dims, style='cstm')
    conv, bn = ((torch.nn.Conv2d, torch.nn.BatchNorm2d) if dims == 2 else
                (torch.nn.Conv3d, torch.nn.BatchNorm3d))
    assert type(m.transform.conv) is conv and type(m.transform.bn) is bn
    assert m.transform.conv.in_channels == 6 + 8
    assert m.transform.conv.kernel_size == (3, ) * dims
    assert m.transform.conv.padding == (1, ) * dims
    assert m.key_proj.conv.kernel_size == (1, ) * dims
    assert not hasattr(m.key_proj, 'relu')
    assert type(m.query_proj.conv) is torch.nn.Conv1d
    assert type(m.query_proj.bn) is torch.nn.BatchNorm1d
    for mod in m.modules():
        if hasattr(mod, 'eps'):
            assert mod.eps == 1e-5 and mod.momentum == 0.1
        if isinstance(mod,
                      (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)):
            assert mod.bias is None
    assert m.gate.bias is not None


def test_fresh_release_cmam_is_the_identity():
    m = CMAM(6, 5, dims=3, style='cstm')
    m.init_weights()
    visual = torch.randn(2, 6, 2, 4, 4)
    torch.testing.assert_close(m(visual, torch.randn(2, 3, 5)), visual)


def test_cstm_cmam_without_identity_init_modulates_by_g():
    m = randomise(CMAM(4, 3, style='cstm', identity_init=False), seed=2)
    visual, words = torch.randn(1, 4, 3, 3), torch.randn(1, 2, 3)
    m.record_attention = True
    out = m(visual, words)
    vt = m.transform(m._visual_input(visual))
    torch.testing.assert_close(out,
                               visual + vt * m.last_gate[:, :, None, None])
    assert (m.last_gate > 0).all()


def test_coord_feature_is_bit_equal_to_the_release():
    for h, w in ((10, 10), (20, 20), (40, 40), (80, 80), (160, 160), (3, 7)):
        torch.testing.assert_close(
            coord_feature(h, w), cstm_coord(h, w), rtol=0, atol=0)


def test_cstm_key_conversion():
    assert convert_cstm_cmam_key('vt.conv.weight') == \
        'transform.conv.weight'
    assert convert_cstm_cmam_key('vt.batch3d.running_var') == \
        'transform.bn.running_var'
    assert convert_cstm_cmam_key('v_key.conv3d.weight') == \
        'key_proj.conv.weight'
    assert convert_cstm_cmam_key('v_key.bn.num_batches_tracked') == \
        'key_proj.bn.num_batches_tracked'
    assert convert_cstm_cmam_key('l_query.0.weight') == \
        'query_proj.conv.weight'
    assert convert_cstm_cmam_key('l_query.1.running_mean') == \
        'query_proj.bn.running_mean'
    assert convert_cstm_cmam_key('gamma.0.bias') == 'gate.bias'
    assert convert_cstm_cmam_key('gamma.1.weight') is None
    assert convert_cstm_cmam_key('ires_trans.0.0.weight') is None
    # a CSTM CMAM's state dict (2D and 3D names) maps onto ours exactly
    for dims, conv, bn in ((2, 'conv', 'bn'), (3, 'conv3d', 'batch3d')):
        ours = CMAM(6, 5, dims=dims, style='cstm').state_dict()
        bn_keys = [
            'weight', 'bias', 'running_mean', 'running_var',
            'num_batches_tracked'
        ]
        release = [
            f'vt.{conv}.weight', f'v_key.{conv}.weight', 'l_query.0.weight',
            'gamma.0.weight', 'gamma.0.bias'
        ]
        release += [
            f'{p}.{k}' for p in (f'vt.{bn}', f'v_key.{bn}', 'l_query.1')
            for k in bn_keys
        ]
        assert sorted(convert_cstm_cmam_key(k) for k in release) == \
            sorted(ours)
    assert set(CSTM_KEY_MAP.values()) == {
        'transform.conv.', 'transform.bn.', 'key_proj.conv.', 'key_proj.bn.',
        'query_proj.conv.', 'query_proj.bn.', 'gate.'
    }


def test_cmam_rejects_bad_style():
    with pytest.raises(ValueError, match='cstm'):
        CMAM(4, 4, style='other')
