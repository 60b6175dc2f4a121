"""The figures of recorded attention (tools/analysis_tools/
attention_figures.py)."""
import json

import numpy as np
import pytest

from tools.analysis_tools.attention_figures import (map_to_frame, plot_lgfs,
                                                    plot_word_attention,
                                                    save_attention_figures)


def test_map_to_frame_cuts_the_padding():
    maps = np.zeros((2, 4, 4), np.float32)
    maps[:, :2, :] = 1  # the valid (top) half of a padded input
    out = map_to_frame(
        maps, img_shape=(32, 64), pad_shape=(64, 64), ori_shape=(20, 40))
    assert out.shape == (2, 20, 40)
    # the padding (zeros) is gone: only the border blurs
    assert out[:, :12].min() > 0.99 and out.mean() > 0.9


def test_panels_have_the_words_as_titles(tmp_path, attention_result):
    frame = np.zeros((96, 128, 3), np.uint8)
    entry = attention_result['spatial'][3]
    maps = map_to_frame(entry['attention'], attention_result['img_shape'],
                        attention_result['pad_shape'], frame.shape[:2])
    fig, titles = plot_word_attention(
        frame,
        maps,
        attention_result['words']['spatial'],
        entry['word_weights'],
        title='spatial',
        out_file=str(tmp_path / 'a.png'))
    assert [t.split('\n')[0]
            for t in titles] == ['the', 'red', 'dog', 'jumping']
    axes_titles = [ax.get_title() for ax in fig.axes]
    assert axes_titles == titles
    assert (tmp_path / 'a.png').stat().st_size > 0
    with pytest.raises(ValueError, match='4 maps for 3 words'):
        plot_word_attention(frame, maps, ['a', 'b', 'c'])
    plot_lgfs(attention_result['lgfs'], out_file=str(tmp_path / 'l.png'))
    assert (tmp_path / 'l.png').exists()


def test_save_attention_figures(tmp_path, attention_result):
    frame = np.zeros((96, 128, 3), np.uint8)
    written = save_attention_figures(
        attention_result, frame, str(tmp_path), stage=3)
    assert set(written) == {
        'spatial_attention', 'temporal_attention', 'word_weights', 'lgfs',
        'lgfs_plot'
    }
    weights = json.loads((tmp_path / 'word_weights.json').read_text())
    assert weights['query'] == 'The red dog, jumping!'
    assert [w for w, _ in weights['temporal']['3']
            ] == ['the', 'red', 'dog', 'jumping']
    assert sorted(weights['spatial']) == ['1', '2', '3', '4', '5']
    lgfs = json.loads((tmp_path / 'lgfs.json').read_text())
    assert sorted(lgfs['stages']) == ['1', '2', '3', '4', '5']
    partial = dict(
        attention_result, spatial={5: attention_result['spatial'][5]})
    with pytest.raises(ValueError, match='no CMAM at stage 3'):
        save_attention_figures(partial, frame, str(tmp_path / 'x'), stage=3)
