import numpy as np
import pytest
import torch

from tools.analysis_tools.attention_recording import (recording,
                                                      run_with_recording)


def test_maps_and_weights_per_word_for_both_encoders(tiny_model,
                                                     attention_result):
    words = ['the', 'red', 'dog', 'jumping']
    assert attention_result['words'] == dict(spatial=words, temporal=words)
    strides = (2, 4, 8, 16, 32)
    for stage, stride in enumerate(strides, 1):
        s = attention_result['spatial'][stage]
        assert s['attention'].shape == (4, 64 // stride, 64 // stride)
        assert s['word_weights'].shape == (4, )
        assert s['word_weights'].sum() == pytest.approx(1, abs=1e-5)
        t = attention_result['temporal'][stage]
        assert t['attention'].shape == (4, 64 // stride, 64 // stride)
        full = t['attention_all']
        assert full.ndim == 4 and full.shape[0] == 4
        np.testing.assert_array_equal(t['attention'], full[:, t['time_index']])
        assert t['word_weights'].sum() == pytest.approx(1, abs=1e-5)
    # the target (index 4 of 8) in the temporal maps: T' = 8 until the
    # temporal stride grows
    strides_t = tiny_model.temporal_encoder.backbone.temporal_strides
    for stage, st in enumerate(strides_t, 1):
        assert attention_result['temporal'][stage]['time_index'] == min(
            4 // st,
            attention_result['temporal'][stage]['attention_all'].shape[1] - 1)
    assert sorted(attention_result['lgfs']) == [1, 2, 3, 4, 5]
    for v in attention_result['lgfs'].values():
        assert 0 <= v['spatial_share'] <= 1
        assert v['spatial_share'] + v['temporal_share'] == pytest.approx(1)
        assert v['spatial_share'] == pytest.approx(v['weights'][0].mean())
    assert attention_result['seg_logits'].shape == (96, 128)
    assert attention_result['pad_shape'] == (64, 64)


def test_recording_is_switched_off_after(tiny_model, attention_result):
    from mmcsted.models.necks.cmam import CMAM
    from mmcsted.models.necks.feature_fusion import LGFS
    for m in tiny_model.modules():
        if isinstance(m, CMAM):
            assert not m.record_attention and m.last_attention is None
        if isinstance(m, LGFS):
            assert not m.record_weights and m.last_weights is None
    with recording(tiny_model):
        assert all(m.record_attention for m in tiny_model.modules()
                   if isinstance(m, CMAM))


def test_unknown_words_are_marked(tiny_model):
    clip = torch.zeros(3, 8, 32, 32, dtype=torch.uint8)
    out = run_with_recording(tiny_model, clip, 'a purple dog')
    assert out['words']['spatial'] == ['a', 'purple (unk)', 'dog']
    assert out['spatial'][1]['attention'].shape[0] == 3
