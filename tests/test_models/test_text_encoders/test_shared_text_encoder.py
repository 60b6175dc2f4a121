"""CSTED(text_encoder=...): one text encoder (CSTM's one GRU) shared by
both encoders; CSTM's frame/slice rules (frame_index,
temporal_index)."""
import copy

import pytest
import torch

from mmcsted.registry import MODELS
from ..utils import VOCAB, build_tiny, make_batch, tiny_model_cfg


def shared_cfg(**cmam):
    cfg = tiny_model_cfg()
    cfg.text_encoder = copy.deepcopy(cfg.spatial_encoder.text_encoder)
    for enc in ('spatial_encoder', 'temporal_encoder'):
        cfg[enc].text_encoder = None
        cfg[enc].cmam.update(cmam)
    return cfg


def test_one_module_used_by_both_branches():
    model = build_tiny(shared_cfg())
    text = model.text_encoder
    assert text is model.spatial_encoder.text_module
    assert text is model.temporal_encoder.text_module
    assert model.spatial_encoder.text_encoder is None
    keys = list(model.state_dict())
    assert 'text_encoder.gru.weight_ih_l0' in keys
    assert not any(
        k.startswith(('spatial_encoder.text_encoder',
                      'temporal_encoder.text_encoder')) for k in keys)
    # counted once
    n_params = sum(p.numel() for p in model.parameters())
    per_encoder = build_tiny()
    n_text = sum(p.numel() for p in text.parameters())
    assert n_params == sum(p.numel()
                           for p in per_encoder.parameters()) - n_text
    tokens = model.tokenize(['the red dog', 'a cat'])
    assert tokens['spatial'] is tokens['temporal']


def test_text_encoder_runs_once_and_both_branches_train_it():
    model = build_tiny(shared_cfg())
    calls = []
    model.text_encoder.register_forward_hook(lambda *a: calls.append(1))
    data = model.data_preprocessor(make_batch(n=2), training=True)
    losses = model(**data, mode='loss')
    assert len(calls) == 1
    sum(losses.values()).backward()
    assert model.text_encoder.gru.weight_hh_l0.grad.abs().sum() > 0


def test_shared_equals_two_encoders_with_the_same_weights():
    """The wiring: a shared text encoder gives what two per-encoder text
    encoders holding its weights give."""
    shared = build_tiny(shared_cfg())
    two = build_tiny()
    state = {}
    for k, v in shared.state_dict().items():
        if k.startswith('text_encoder.'):
            for enc in ('spatial_encoder', 'temporal_encoder'):
                state[f'{enc}.{k}'] = v
        else:
            state[k] = v
    two.load_state_dict(state)
    shared.eval()
    two.eval()
    batch = make_batch(n=2)
    with torch.no_grad():
        a = shared(**shared.data_preprocessor(batch))
        b = two(**two.data_preprocessor(batch))
    for x, y in zip(a, b):
        torch.testing.assert_close(x, y)


def test_shared_vocabulary_from_checkpoint_and_deepcopy():
    model = build_tiny(shared_cfg())
    cfg = shared_cfg()
    cfg.text_encoder.update(vocab=None, vocab_from_checkpoint=True)
    fresh = MODELS.build(cfg)
    with pytest.raises(RuntimeError, match='checkpoint'):
        fresh.tokenize(['a dog'])
    fresh.load_state_dict(model.state_dict())
    assert fresh.text_encoder.vocab.words[2:] == VOCAB
    assert fresh.spatial_encoder.tokenize(['a dog'])[0].tolist() == \
        model.spatial_encoder.tokenize(['a dog'])[0].tolist()
    copied = copy.deepcopy(fresh)
    assert copied.spatial_encoder.text_module is copied.text_encoder
    assert copied.text_encoder is not fresh.text_encoder


def test_shared_and_own_text_encoders_cannot_mix():
    cfg = shared_cfg()
    cfg.spatial_encoder.text_encoder = copy.deepcopy(cfg.text_encoder)
    with pytest.raises(ValueError, match='shared text_encoder'):
        MODELS.build(cfg)
    cfg = tiny_model_cfg()
    cfg.spatial_encoder.text_encoder = None
    with pytest.raises(ValueError, match='text_channels'):
        MODELS.build(cfg)


def test_frozen_encoders_freeze_the_shared_text_encoder():
    cfg = shared_cfg()
    cfg.spatial_encoder.frozen = cfg.temporal_encoder.frozen = True
    model = build_tiny(cfg)
    model.train()
    assert not model.text_encoder.training
    assert not any(p.requires_grad for p in model.text_encoder.parameters())


def test_cstm_style_tiny_model_with_glove_text_and_recording(tmp_path):
    """CSTM's text path and CMAM on the tiny backbones: it runs, the
    CMAMs weigh all 20 positions, and the attention visualisation works."""
    path = tmp_path / 'glove.txt'
    g = torch.Generator().manual_seed(0)
    with open(path, 'w') as f:
        for w in VOCAB:
            f.write(w + ' ' + ' '.join(
                str(x) for x in torch.randn(32, generator=g).tolist()) + '\n')
    cfg = shared_cfg(style='cstm')
    cfg.text_encoder = dict(
        type='GloVeGRUTextEncoder',
        vocab=VOCAB,
        glove_file=str(path),
        embed_dims=32,
        hidden_dims=64)
    model = build_tiny(cfg)
    assert model.text_encoder.vocab_words == VOCAB
    model.eval()
    from tools.analysis_tools.attention_recording import run_with_recording
    clip = make_batch(n=1)['inputs'][0]
    result = run_with_recording(model, clip, 'the red dog jumping')
    assert result['words']['spatial'][:5] == [
        'the', 'red', 'dog', 'jumping', '<pad>'
    ]
    weights = result['temporal'][3]['word_weights']
    assert weights.shape == (20, ) and (weights > 0).all()
    assert result['spatial'][1]['attention'].shape == (20, 32, 32)


def test_frame_index_and_middle_slice():
    cfg = tiny_model_cfg()
    cfg.data_preprocessor.frame_index = 4
    cfg.temporal_index = 'middle'
    model = build_tiny(cfg).eval()
    batch = make_batch(n=2)
    for ds in batch['data_samples']:
        ds.set_metainfo(dict(target_index=1))
    data = model.data_preprocessor(batch)
    clip, frame = data['inputs']['clip'], data['inputs']['frame']
    torch.testing.assert_close(frame, clip[:, :, 4])  # not index 1
    feats = []
    hook = model.temporal_encoder.register_forward_hook(
        lambda m, a, out: feats.extend(out[0]))
    with torch.no_grad():
        _, temporal, _ = model.encode(clip, frame,
                                      model.tokenize(['a dog', 'a cat']),
                                      torch.tensor([1, 1]))
    hook.remove()
    for f, t in zip(feats, temporal):
        torch.testing.assert_close(t, f[:, :, f.shape[2] // 2])
    # 'target' (default) follows the target index instead
    assert model.target_slice(feats[0], torch.tensor([1, 1]),
                              2).shape == temporal[0].shape
    with pytest.raises(ValueError, match='temporal_index'):
        MODELS.build(dict(tiny_model_cfg(), temporal_index='first'))
