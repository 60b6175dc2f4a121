"""CSTMHead: the decoder of the authors' CSTM code (RyanHTR/CSTM), checked
against a re-computation with plain functional ops that reads the weights by
CSTM's key names."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData

from mmcsted.models.heads import CSTMHead
from mmcsted.models.heads.cstm_head import (CSTM_KEY_MAP, convert_cstm_key,
                                            cstm_key_map)
from mmcsted.registry import MODELS
from mmcsted.structures import ActorSegDataSample

S_CH, T_CH = (4, 5, 6, 7, 8), (5, 6, 7, 8, 9)
SIZE = 64  # stage i (1..5) at stride 2**i: 32, 16, 8, 4, 2


def make_head(channels=8, mask_channels=8, **kw):
    torch.manual_seed(0)
    head = CSTMHead(
        S_CH,
        T_CH,
        text_channels=16,
        channels=channels,
        mask_channels=mask_channels,
        **kw)
    for m in head.modules():  # random running stats and affine parameters
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.normal_()
    return head.double().eval()


def make_feats(n=2, size=SIZE, seed=1):
    g = torch.Generator().manual_seed(seed)
    spatial = [
        torch.randn(
            n, c, size >> i, size >> i, generator=g, dtype=torch.double)
        for i, c in enumerate(S_CH, 1)
    ]
    temporal = [
        torch.randn(
            n, c, size >> i, size >> i, generator=g, dtype=torch.double)
        for i, c in enumerate(T_CH, 1)
    ]
    return spatial, temporal


def to_release(head):
    """Our state dict under CSTM's key names (inverse key map)."""
    inverse = {ours: rel for rel, ours in cstm_key_map().items()}
    out = {}
    for key, value in head.state_dict().items():
        prefix = '.'.join(key.split('.')[:2]) + '.'
        out[inverse[prefix] + key[len(prefix):]] = value
    return out


# --------------------------------------------------------------- reference
def cbr(x, w, name):
    """conv3x3 (pad 1) - BN (eval, eps 1e-5) - ReLU of CSTM's
    Sequential ``name``."""
    x = F.conv2d(x, w[f'{name}.0.weight'], w.get(f'{name}.0.bias'), padding=1)
    x = F.batch_norm(x, w[f'{name}.1.running_mean'],
                     w[f'{name}.1.running_var'], w[f'{name}.1.weight'],
                     w[f'{name}.1.bias'], False, 0., 1e-5)
    return F.relu(x)


def mask(x, w, i):
    x = F.relu(
        F.conv2d(
            x,
            w[f'conv_mask.{i}.0.weight'],
            w[f'conv_mask.{i}.0.bias'],
            padding=1))
    x = F.relu(
        F.conv2d(
            x,
            w[f'conv_mask.{i}.2.weight'],
            w[f'conv_mask.{i}.2.bias'],
            padding=1))
    return F.conv2d(x, w[f'conv_mask.{i}.4.weight'],
                    w[f'conv_mask.{i}.4.bias'])


def reference(w,
              spatial,
              temporal,
              swap_top=False,
              swap_lateral=False,
              swap_up=False):
    """CSTM's decoder (CSTMModel.forward after the encoders) from its
    description; the swap flags flip one concatenation order. Returns the
    CSTM's response maps, coarsest (stride 32) first."""
    s = [cbr(x, w, f'ires_trans.{i}') for i, x in enumerate(spatial)]
    t = [cbr(x, w, f'vres_trans.{i}') for i, x in enumerate(temporal)]

    def cat(a, b, swap):
        return torch.cat([b, a] if swap else [a, b], 1)

    feats = [cbr(cat(s[4], t[4], swap_top), w, 'conv_fuse1.4')]
    for i in range(5):
        if i >= 1:
            lat = cbr(
                cat(t[4 - i], s[4 - i], swap_lateral), w,
                f'conv_fuse1.{4 - i}')
            feats[i] = cbr(
                cat(feats[i], lat, swap_up), w, f'conv_fuse2.{4 - i}')
        feats.append(
            F.interpolate(
                feats[i], scale_factor=2, mode='bilinear', align_corners=True))
    return [mask(f, w, i) for i, f in enumerate(feats)]


# ------------------------------------------------------------------- tests
def test_shapes_finest_first():
    head = make_head()
    spatial, temporal = make_feats()
    with torch.no_grad():
        out = head(spatial, temporal, torch.randn(2, 16, dtype=torch.double))
    assert [tuple(o.shape) for o in out] == [(2, 1, s, s)
                                             for s in (64, 32, 16, 8, 4, 2)]


def test_equals_functional_reference_with_release_keys():
    head = make_head()
    spatial, temporal = make_feats()
    with torch.no_grad():
        out = head(spatial, temporal, None)
        ref = reference(to_release(head), spatial, temporal)
    assert len(out) == len(ref) == 6
    for o, r in zip(out, ref[::-1]):  # ours finest first
        torch.testing.assert_close(o, r, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize('swap', ['swap_top', 'swap_lateral', 'swap_up'])
def test_reference_catches_concat_order(swap):
    head = make_head()
    spatial, temporal = make_feats()
    with torch.no_grad():
        out = head(spatial, temporal, None)
        ref = reference(to_release(head), spatial, temporal, **{swap: True})
    # Some scale differs by more than a tenth of its spread (the unswapped
    # reference agrees to 1e-10).
    assert any(
        (o - r).abs().max() > 0.1 * o.std() for o, r in zip(out, ref[::-1]))


def test_cstm_state_dict_loads_strictly_through_the_key_map():
    """Every key of CSTM's decoder (its nn.Sequential layout) maps to
    exactly one of ours, with the same shape."""
    c, m = 8, 8
    release = {}
    for i, (cs, ct) in enumerate(zip(S_CH, T_CH)):
        fuses = [f'conv_fuse1.{i}'] + ([f'conv_fuse2.{i}'] if i < 4 else [])
        for name, cin in ((f'ires_trans.{i}', cs), (f'vres_trans.{i}', ct)):
            release[f'{name}.0.weight'] = (c, cin, 3, 3)
        for name in [f'ires_trans.{i}', f'vres_trans.{i}'] + fuses:
            for p in ('weight', 'bias', 'running_mean', 'running_var'):
                release[f'{name}.1.{p}'] = (c, )
            release[f'{name}.1.num_batches_tracked'] = ()
        for name in fuses:
            release[f'{name}.0.weight'] = (c, 2 * c, 3, 3)
            release[f'{name}.0.bias'] = (c, )
    for i in range(6):
        release.update({
            f'conv_mask.{i}.0.weight': (m, c, 3, 3),
            f'conv_mask.{i}.0.bias': (m, ),
            f'conv_mask.{i}.2.weight': (m, m, 3, 3),
            f'conv_mask.{i}.2.bias': (m, ),
            f'conv_mask.{i}.4.weight': (1, m, 1, 1),
            f'conv_mask.{i}.4.bias': (1, ),
        })
    head = make_head(c, m)
    ours = {k: tuple(v.shape) for k, v in head.state_dict().items()}
    converted = {
        convert_cstm_key('module.' + k): v
        for k, v in release.items()
    }
    assert converted == ours
    # Encoder keys are not the decoder's.
    assert convert_cstm_key('module.cmam_s.0.g.0.weight') is None
    assert convert_cstm_key('s_layer5.0.conv1.weight') is None
    assert convert_cstm_key('conv_fuse2.4.0.weight') is None


def test_key_map_index_correspondence():
    expected = {}
    for i in range(5):
        expected[f'ires_trans.{i}.'] = f'spatial_proj.{i}.'
        expected[f'vres_trans.{i}.'] = f'temporal_proj.{i}.'
        expected[f'conv_fuse1.{i}.'] = f'lateral_fusions.{i}.'
    for k in range(4):
        expected[f'conv_fuse2.{k}.'] = f'top_down_fusions.{k}.'
    for i, ours in enumerate((5, 4, 3, 2, 1, 0)):  # stride 32 / 2**i
        expected[f'conv_mask.{i}.'] = f'mask_heads.{ours}.'
    assert cstm_key_map() == CSTM_KEY_MAP == expected
    assert convert_cstm_key('conv_mask.0.4.bias') == 'mask_heads.5.4.bias'
    assert convert_cstm_key('module.conv_fuse1.4.1.running_var') == \
        'lateral_fusions.4.1.running_var'


def test_cstm_layout_details():
    head = make_head()
    for proj in (*head.spatial_proj, *head.temporal_proj):
        assert proj[0].bias is None and proj[0].kernel_size == (3, 3)
        assert proj[1].eps == 1e-5
    for fuse in (*head.lateral_fusions, *head.top_down_fusions):
        assert fuse[0].bias is not None and fuse[0].padding == (1, 1)
        assert fuse[1].eps == 1e-5
    assert len(head.lateral_fusions) == 5 and len(head.top_down_fusions) == 4
    assert len(head.mask_heads) == 6
    assert head.language_concat is None


def test_sentence_is_ignored():
    head = make_head()
    spatial, temporal = make_feats()
    with torch.no_grad():
        a = head(spatial, temporal, torch.zeros(2, 16, dtype=torch.double))
        b = head(spatial, temporal, torch.randn(2, 16, dtype=torch.double))
    for x, y in zip(a, b):
        torch.testing.assert_close(x, y, rtol=0, atol=0)


def test_loss_six_finite_losses():
    head = make_head().float().train()
    inputs = [[x.float() for x in feats]
              for feats in make_feats(size=32)] + [None]
    samples = [
        ActorSegDataSample(
            metainfo=dict(img_shape=(32, 32)),
            gt_sem_seg=PixelData(
                data=(torch.rand(1, 32, 32) > 0.5).to(torch.uint8)))
        for _ in range(2)
    ]
    losses = head.loss(inputs, samples)
    assert list(losses) == ['loss_bce'
                            ] + [f'loss_bce_s{i}' for i in range(2, 7)]
    assert all(torch.isfinite(v) and v.ndim == 0 for v in losses.values())
    sum(losses.values()).backward()
    assert all(p.grad is not None for p in head.parameters())


def test_needs_both_branches_and_halving_sizes():
    for s, t in ((S_CH, None), (None, T_CH), (None, None)):
        with pytest.raises(ValueError, match='spatial and a temporal'):
            CSTMHead(s, t, text_channels=4, channels=4, mask_channels=4)
    with pytest.raises(ValueError, match='5 stages'):
        CSTMHead(S_CH[:4], T_CH, text_channels=4)
    head = make_head()
    sizes = (30, 15, 8, 4, 2)  # 2 x 8 != 15
    spatial = [
        torch.randn(1, c, s, s, dtype=torch.double)
        for c, s in zip(S_CH, sizes)
    ]
    temporal = [
        torch.randn(1, c, s, s, dtype=torch.double)
        for c, s in zip(T_CH, sizes)
    ]
    with pytest.raises(ValueError, match='halve exactly'):
        head(spatial, temporal, None)
    with pytest.raises(ValueError, match='spatial and temporal'):
        head(spatial, None, None)


def test_in_a_tiny_csted():
    """Built by CSTED (channels filled in); loss and predict run and predict
    uses the stride-1 map."""
    from ..utils import make_batch, tiny_model_cfg
    cfg = tiny_model_cfg()
    cfg.decode_head = dict(type='CSTMHead', channels=8, mask_channels=8)
    model = MODELS.build(cfg)
    model.init_weights()
    assert isinstance(model.decode_head, CSTMHead)
    batch = make_batch(n=2, size=64)
    model.train()
    losses = model(**model.data_preprocessor(batch, True), mode='loss')
    assert len(losses) == 6
    assert all(torch.isfinite(v) for v in losses.values())
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
        logits = model(**data, mode='tensor')
        preds = model(**data, mode='predict')
    assert logits[0].shape[-2:] == (64, 64)
    assert preds[0].pred_sem_seg.data.shape[-2:] == (64, 64)
