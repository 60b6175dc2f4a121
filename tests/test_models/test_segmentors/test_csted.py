import copy

import pytest
import torch

from mmcsted.registry import MODELS
from ..utils import build_tiny, make_batch, tiny_model_cfg


def test_stage_shapes_and_output_masks():
    model = build_tiny()
    data = model.data_preprocessor(make_batch(n=2), training=False)
    clip, frame = data['inputs']['clip'], data['inputs']['frame']
    assert clip.shape == (2, 3, 8, 64, 64) and frame.shape == (2, 3, 64, 64)
    torch.testing.assert_close(frame, clip[:, :, 4])
    tokens = model.tokenize(['the red dog', 'a cat'])
    spatial, temporal, sentence = model.encode(clip, frame, tokens,
                                               torch.tensor([4, 4]))
    assert [tuple(f.shape) for f in spatial] == [(2, 16, 32, 32),
                                                 (2, 16, 16, 16),
                                                 (2, 32, 8, 8), (2, 64, 4, 4),
                                                 (2, 128, 2, 2)]
    assert [tuple(f.shape)
            for f in temporal] == [tuple(s.shape) for s in spatial]
    assert sentence.shape == (2, 64)
    logits = model(**data, mode='tensor')
    assert [tuple(x.shape) for x in logits] == [(2, 1, 32, 32), (2, 1, 16, 16),
                                                (2, 1, 8, 8), (2, 1, 4, 4),
                                                (2, 1, 2, 2)]


def test_loss_and_predict_modes():
    model = build_tiny()
    data = model.data_preprocessor(make_batch(n=2), training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_bce'
                           } | {f'loss_bce_s{i}'
                                for i in (2, 3, 4, 5)}
    assert all(torch.isfinite(v) for v in losses.values())
    model.eval()
    batch = make_batch(n=2, ori=(48, 80))
    with torch.no_grad():
        out = model(**model.data_preprocessor(batch), mode='predict')
    assert out[0].seg_logits.shape == (48, 80)
    assert out[0].pred_sem_seg.data.dtype == torch.uint8
    p = out[0].seg_logits.data
    assert ((p >= 0) & (p <= 1)).all()
    torch.testing.assert_close(out[0].pred_sem_seg.data,
                               (p >= 0.5).to(torch.uint8))


def test_padding_is_cut_before_resizing_back():
    model = build_tiny()
    model.eval()
    batch = make_batch(n=1)
    ds = batch['data_samples'][0]
    ds.set_metainfo(dict(img_shape=(32, 64), ori_shape=(100, 200)))
    with torch.no_grad():
        out = model(**model.data_preprocessor(batch), mode='predict')
    assert out[0].seg_logits.shape == (100, 200)


def test_a_train_step_reduces_the_loss_on_a_fixed_batch():
    torch.manual_seed(0)
    model = build_tiny()
    from mmengine.optim import OptimWrapper
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    batch = make_batch(n=2)
    first = None
    for _ in range(8):
        log = model.train_step(copy.deepcopy(batch), optim)
        first = first if first is not None else log['loss'].item()
    assert log['loss'].item() < 0.8 * first


@pytest.mark.parametrize('change,match', [
    (lambda c: c.decode_head.update(
        fusion=dict(type='SimpleFusion', mode='mul')), 'unknown fusion mode'),
    (lambda c: c.decode_head.update(fusion=dict(type='Attention')),
     'not in the mmcsted::model registry|Attention'),
    (lambda c: c.spatial_encoder.update(cmam_stages=(1, 6)), 'within 1..5'),
    (lambda c: c.update(clip_len=5), 'clip_len=5 does not fit'),
    (lambda c: c.update(spatial_encoder=None, temporal_encoder=None),
     'needs a spatial or a temporal encoder'),
    (lambda c: c.spatial_encoder.__setitem__(
        'backbone', copy.deepcopy(c.temporal_encoder.backbone)),
     '2D backbone'),
])
def test_invalid_configs_fail_at_build_time(change, match):
    cfg = tiny_model_cfg()
    change(cfg)
    with pytest.raises((ValueError, KeyError), match=match):
        MODELS.build(cfg)


# the final mask's loss and one per side output of stages 2..5
DEEP_SUPERVISION_LOSSES = {'loss_bce'
                           } | {f'loss_bce_s{i}'
                                for i in range(2, 6)}


@pytest.mark.parametrize('variant,loss_names', [
    (dict(temporal_encoder=None), DEEP_SUPERVISION_LOSSES),
    (dict(spatial_encoder=None), DEEP_SUPERVISION_LOSSES),
    (dict(decode_head=dict(fusion=dict(type='SimpleFusion', mode='concat'))),
     DEEP_SUPERVISION_LOSSES),
    (dict(
        decode_head=dict(
            deep_supervision=False,
            loss_decode=[
                dict(type='MaskBCELoss'),
                dict(
                    type='MaskBCELoss',
                    pos_weight=2.,
                    loss_name='loss_bce_pos')
            ])), {'loss_bce', 'loss_bce_pos'}),
])
def test_model_variants_run(variant, loss_names):
    """Each variant trains (its losses, gradients reaching every encoder it
    has) and predicts probabilities at the original size."""
    cfg = tiny_model_cfg()
    for k, v in variant.items():
        if v is None:
            cfg[k] = None
        else:
            cfg[k].update(v)
    model = build_tiny(cfg)
    data = model.data_preprocessor(make_batch(n=2), training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == loss_names
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
    sum(losses.values()).backward()
    for name in ('spatial_encoder', 'temporal_encoder', 'decode_head'):
        module = getattr(model, name, None)
        if cfg.get(name, 'present') is None:
            assert module is None
            continue
        grads = [p.grad for p in module.parameters() if p.requires_grad]
        assert grads and any(g is not None and g.abs().sum() > 0
                             for g in grads), f'no gradient reaches {name}'
    model.eval()
    with torch.no_grad():
        out = model(
            **model.data_preprocessor(make_batch(n=2, ori=(40, 72))),
            mode='predict')
    score = torch.cat([o.seg_logits.data for o in out])
    assert score.shape == (2, 40, 72)
    assert ((score >= 0) & (score <= 1)).all()


def test_frozen_encoders_train_only_the_decoder():
    cfg = tiny_model_cfg()
    cfg.spatial_encoder.frozen = True
    cfg.temporal_encoder.frozen = True
    model = build_tiny(cfg)
    model.train()
    assert not model.spatial_encoder.training
    trainable = {
        n.split('.')[0]
        for n, p in model.named_parameters() if p.requires_grad
    }
    assert trainable == {'decode_head'}


@pytest.mark.slow
def test_full_size_iv3_i3d_forward_on_cpu():
    from mmengine.config import Config
    cfg = Config.fromfile('configs/_base_/models/csted_iv3_i3d.py').model
    for enc in ('spatial_encoder', 'temporal_encoder'):
        cfg[enc].backbone.init_cfg = None  # no network in tests
        cfg[enc].text_encoder.vocab = ['a', 'dog']
    model = MODELS.build(cfg)
    model.eval()
    batch = make_batch(n=1, t=8, size=320, queries=['a dog'])
    with torch.no_grad():
        data = model.data_preprocessor(batch)
        assert data['inputs']['clip'].shape == (1, 3, 8, 320, 320)
        logits = model(**data, mode='tensor')
    assert logits[0].shape == (1, 1, 160, 160)
    assert len(logits) == 5


def test_clips_of_another_length_than_clip_len_are_an_error():
    # a pipeline with clip_len=16 for a clip_len=8 model used to train silently
    model = build_tiny()
    assert model.clip_len == 8
    data = model.data_preprocessor(make_batch(n=2, t=16), training=True)
    with pytest.raises(ValueError, match='clips of 16 frames.*clip_len=8'):
        model(**data, mode='loss')
    model.eval()
    data = model.data_preprocessor(make_batch(n=1, t=16), training=False)
    with pytest.raises(ValueError, match='clips of 16 frames.*clip_len=8'):
        with torch.no_grad():
            model(**data, mode='predict')


def test_spatial_only_model_is_not_checked_against_clip_len():
    cfg = tiny_model_cfg()
    cfg.temporal_encoder = None
    model = build_tiny(cfg)
    data = model.data_preprocessor(make_batch(n=2, t=4), training=True)
    losses = model(**data, mode='loss')
    assert all(torch.isfinite(v) for v in losses.values())
