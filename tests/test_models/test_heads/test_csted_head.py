"""Decoder-side language concatenation of the paper's baselines."""
import torch

from mmcsted.models.heads.csted_head import CSTEDHead, LanguageConcat
from mmcsted.models.necks import coord_feature
from ..utils import build_tiny, make_batch, tiny_model_cfg


def test_language_concat_is_a_conv_over_visual_sentence_and_coord():
    torch.manual_seed(0)
    m = LanguageConcat(channels=4, text_channels=3, norm_cfg=dict(type='BN'))
    m.eval()
    visual, sentence = torch.randn(2, 4, 5, 6), torch.randn(2, 3)
    out = m(visual, sentence)
    assert out.shape == visual.shape
    tiled = sentence[:, :, None, None].expand(-1, -1, 5, 6)
    coord = coord_feature(5, 6).expand(2, -1, -1, -1)
    expected = m.mix(torch.cat([visual, tiled, coord], 1))
    torch.testing.assert_close(out, expected)
    assert m.mix.conv.in_channels == 4 + 3 + 8


def test_head_output_depends_on_sentence_only_with_language_concat():
    torch.manual_seed(0)
    feats = [
        torch.randn(1, c, 16 // 2**i, 16 // 2**i)
        for i, c in enumerate((3, 4, 5, 6, 7))
    ]
    s1, s2 = torch.randn(1, 8), torch.randn(1, 8)
    for concat in (False, True):
        head = CSTEDHead([3, 4, 5, 6, 7],
                         None,
                         text_channels=8,
                         channels=4,
                         mask_channels=4,
                         language_concat=concat)
        head.eval()
        with torch.no_grad():
            a, b = head(feats, None, s1)[0], head(feats, None, s2)[0]
        assert torch.allclose(a, b) != concat


def test_no_cmam_model_trains_its_text_encoders():
    cfg = tiny_model_cfg(language_concat=True)
    for enc in ('spatial_encoder', 'temporal_encoder'):
        cfg[enc].cmam_stages = ()
    model = build_tiny(cfg)
    model.train()
    batch = make_batch(n=2, size=64)
    losses = model(**model.data_preprocessor(batch, True), mode='loss')
    sum(losses.values()).backward()
    for enc in (model.spatial_encoder, model.temporal_encoder):
        grads = [
            p.grad for p in enc.text_encoder.parameters() if p.requires_grad
        ]
        assert grads and all(g is not None and g.abs().sum() > 0
                             for g in grads if g is not None)


def test_model_that_never_reads_the_query_warns(monkeypatch):
    logged = []
    monkeypatch.setattr('mmcsted.models.segmentors.csted.print_log',
                        lambda msg, **kw: logged.append(msg))
    cfg = tiny_model_cfg()
    for enc in ('spatial_encoder', 'temporal_encoder'):
        cfg[enc].cmam_stages = ()
    build_tiny(cfg, init=False)
    assert any('never reads the query' in m for m in logged)
    logged.clear()
    build_tiny(tiny_model_cfg(), init=False)  # CMAM: no warning
    assert not any('never reads the query' in m for m in logged)
