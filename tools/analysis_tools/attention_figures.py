"""Figures of the attention that ``run_with_recording`` (attention_recording)
records (the paper's Figure 5): per-word CMAM maps over the frame and the
LGFS selection (matplotlib, Agg canvas, no display needed), with their JSON
tables; visualize_attention.py and demo/web_demo.py draw through it."""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmcsted.utils.atomic_write import atomic_path, atomic_write_json


def map_to_frame(maps: np.ndarray, img_shape: Sequence[int],
                 pad_shape: Sequence[int],
                 ori_shape: Sequence[int]) -> np.ndarray:
    """(K, h, w) maps over the padded input -> (K, H, W) over the original
    frame: upsampled to the padded input, the padding cut, resized."""
    ph, pw = [int(x) for x in pad_shape[:2]]
    ih, iw = [int(x) for x in img_shape[:2]]
    oh, ow = [int(x) for x in ori_shape[:2]]
    out = []
    for m in maps.astype(np.float32):
        m = cv2.resize(m, (pw, ph), interpolation=cv2.INTER_LINEAR)[:ih, :iw]
        out.append(cv2.resize(m, (ow, oh), interpolation=cv2.INTER_LINEAR))
    return np.stack(out) if out else np.zeros((0, oh, ow), np.float32)


def word_weight_table(result: Dict) -> Dict:
    """JSON-ready per-word weights: {encoder: {stage: {word: weight}}} (a
    list of [word, weight] pairs keeps repeated words)."""
    table = {}
    for name in ('spatial', 'temporal'):
        words = result['words'].get(name, [])
        table[name] = {
            str(stage): [[w, round(float(v), 6)]
                         for w, v in zip(words, entry['word_weights'])]
            for stage, entry in sorted(result[name].items())
        }
    return table


def lgfs_table(result: Dict) -> Dict:
    return {
        str(stage):
        dict(
            spatial_share=round(v['spatial_share'], 6),
            temporal_share=round(v['temporal_share'], 6))
        for stage, v in sorted(result['lgfs'].items())
    }


def _normalise(maps: np.ndarray, mode: str) -> np.ndarray:
    maps = maps.astype(np.float32)
    if mode == 'global':
        lo, hi = maps.min(), maps.max()
        return (maps - lo) / max(hi - lo, 1e-12)
    lo = maps.reshape(len(maps), -1).min(1)[:, None, None]
    hi = maps.reshape(len(maps), -1).max(1)[:, None, None]
    return (maps - lo) / np.maximum(hi - lo, 1e-12)


def plot_word_attention(frame: np.ndarray,
                        maps: np.ndarray,
                        words: Sequence[str],
                        word_weights: Optional[Sequence[float]] = None,
                        title: str = '',
                        out_file: Optional[str] = None,
                        normalise: str = 'word',
                        alpha: float = 0.55,
                        cols: int = 6) -> Tuple[object, List[str]]:
    """One panel per word: its attention map (K, H, W at the frame's size)
    over the frame, the word (and its weight) as the panel title.

    ``normalise``: 'word' (each map to [0, 1]) or 'global' (all maps on one
    scale). Returns (the matplotlib Figure, the panel titles); saved to
    ``out_file`` if given."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    if len(maps) != len(words):
        raise ValueError(f'{len(maps)} maps for {len(words)} words')
    if normalise not in ('word', 'global'):
        raise ValueError("normalise must be 'word' or 'global'")
    maps = _normalise(maps, normalise)
    k = len(words)
    cols = max(1, min(cols, k))
    rows = -(-k // cols)
    aspect = frame.shape[0] / frame.shape[1]
    fig = Figure(figsize=(2.6 * cols, (2.6 * aspect + 0.6) * rows + 0.5))
    FigureCanvasAgg(fig)
    titles = []
    for i, word in enumerate(words):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(frame)
        ax.imshow(maps[i], cmap='jet', alpha=alpha, vmin=0, vmax=1)
        t = word if word_weights is None else \
            f'{word}\nw={float(word_weights[i]):.3f}'
        titles.append(t)
        ax.set_title(t, fontsize=10)
        ax.axis('off')
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    if out_file:
        with atomic_path(out_file) as tmp:  # the format from the extension
            fig.savefig(tmp, dpi=100)
    return fig, titles


def plot_lgfs(shares: Dict[int, Dict[str, float]],
              title: str = '',
              out_file: Optional[str] = None):
    """Stacked bars: the spatial / temporal share per decoder stage."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    stages = sorted(shares)
    s = [shares[k]['spatial_share'] for k in stages]
    t = [shares[k]['temporal_share'] for k in stages]
    fig = Figure(figsize=(1.2 * max(len(stages), 3) + 2.5, 3.4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    x = np.arange(len(stages))
    ax.bar(x, s, color='tab:orange', label='spatial')
    ax.bar(x, t, bottom=s, color='tab:blue', label='temporal')
    for xi, si in zip(x, s):
        ax.text(xi, si / 2, f'{si:.2f}', ha='center', va='center', fontsize=8)
    ax.set_xticks(x, [f'stage {k}' for k in stages])
    ax.set_ylim(0, 1)
    ax.set_ylabel('LGFS selection (mean over channels)')
    ax.legend(loc='center left', bbox_to_anchor=(1.01, 0.5), fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    if out_file:
        with atomic_path(out_file) as tmp:  # the format from the extension
            fig.savefig(tmp, dpi=100)
    return fig


def save_attention_figures(result: Dict,
                           frame: np.ndarray,
                           out_dir: str,
                           stage: int = 3,
                           normalise: str = 'word') -> Dict[str, str]:
    """Write ``spatial_stage{S}.png``, ``temporal_stage{S}.png``,
    ``word_weights.json``, ``lgfs.json`` and ``lgfs.png`` (what exists for
    the model) into ``out_dir``; returns {what: path}."""
    os.makedirs(out_dir, exist_ok=True)
    written = {}
    q = result['query']
    for name in ('spatial', 'temporal'):
        if not result[name]:
            continue
        if stage not in result[name]:
            raise ValueError(
                f'the {name} encoder has no CMAM at stage {stage}; its CMAM '
                f'stages are {sorted(result[name])}')
        entry = result[name][stage]
        maps = map_to_frame(entry['attention'], result['img_shape'],
                            result['pad_shape'], frame.shape[:2])
        extra = f', time slice {entry["time_index"]}' \
            if 'time_index' in entry else ''
        path = osp.join(out_dir, f'{name}_stage{stage}.png')
        plot_word_attention(
            frame,
            maps,
            result['words'][name],
            entry['word_weights'],
            title=f'{name} encoder, CMAM stage {stage}{extra}: "{q}"',
            out_file=path,
            normalise=normalise)
        written[f'{name}_attention'] = path
    path = osp.join(out_dir, 'word_weights.json')
    atomic_write_json(dict(query=q, **word_weight_table(result)), path, 2)
    written['word_weights'] = path
    if result['lgfs']:
        table = lgfs_table(result)
        path = osp.join(out_dir, 'lgfs.json')
        atomic_write_json(dict(query=q, stages=table), path, indent=2)
        written['lgfs'] = path
        path = osp.join(out_dir, 'lgfs.png')
        plot_lgfs(result['lgfs'], title=f'LGFS: "{q}"', out_file=path)
        written['lgfs_plot'] = path
    return written
