"""What the query does inside CSTED (the paper's Figure 5).

* CMAM word-to-location relevance ``A`` (one map per word) and the word weights
  ``w~`` of the spatial and of the temporal encoder at each stage: the spatial
  branch should lean on appearance words, the temporal one on action words.
* LGFS: the share of the spatial vs the temporal feature that the query selects
  at each decoder stage (mean over channels of the per-channel softmax).

:func:`run_with_recording` runs the model once with recording switched on and
returns plain numpy arrays; the ``plot_*`` functions draw them (matplotlib,
Agg canvas, no display needed).
"""
import contextlib
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn as nn
from mmengine.fileio import dump

from mmcsted.structures import ActorSegDataSample


def _cmams(model: nn.Module):
    from mmcsted.models.necks.cmam import CMAM
    return [m for m in model.modules() if isinstance(m, CMAM)]


def _lgfs(model: nn.Module):
    from mmcsted.models.necks.feature_fusion import LGFS
    return [m for m in model.modules() if isinstance(m, LGFS)]


@contextlib.contextmanager
def recording(model: nn.Module):
    """Switch on ``record_attention`` of every CMAM and ``record_weights`` of
    every LGFS; restore the flags and drop the recorded tensors after."""
    cmams, fusions = _cmams(model), _lgfs(model)
    saved = [m.record_attention for m in cmams] + \
        [m.record_weights for m in fusions]
    for m in cmams:
        m.record_attention = True
    for m in fusions:
        m.record_weights = True
    try:
        yield
    finally:
        for m, flag in zip(cmams + fusions, saved):
            if hasattr(m, 'record_attention'):
                m.record_attention = flag
                m.last_attention = m.last_word_weights = m.last_gate = None
            else:
                m.record_weights = flag
                m.last_weights = None


def query_words(encoder: nn.Module, query: str) -> List[str]:
    """The tokens the encoder's text encoder reads, in order (a GRU's words,
    ``(unk)`` marked, or a transformer's sub-word tokens)."""
    from mmcsted.text import split_words
    text = getattr(encoder, 'text_module', None) or encoder.text_encoder
    if hasattr(text, 'token_strings'):
        # every position the CMAMs weigh (CSTM's 20, pads included)
        return text.token_strings(query)
    ids, mask = encoder.tokenize([query], device='cpu')
    ids = ids[0][mask[0].bool()].tolist()
    if hasattr(text, 'tokenizer'):
        return list(text.tokenizer.convert_ids_to_tokens(ids))
    words = split_words(query)[:getattr(text, 'max_words', len(ids))]
    vocab = getattr(text, 'vocab', None)
    if vocab is not None:
        words = [w if w in vocab else f'{w} (unk)' for w in words]
    if len(words) != len(ids):  # a tokeniser of its own: number them
        words = [f'token {i}' for i in range(len(ids))]
    return words


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


def _recorded_cmams(encoder: nn.Module, target_index: int) -> Dict:
    """{stage: entry} of an encoder's CMAMs' recorded attention (the target's
    time slice picked out of a temporal encoder's maps)."""
    strides = getattr(encoder.backbone, 'temporal_strides', None)
    entries = {}
    for key, cmam in encoder.cmams.items():
        stage = int(key)
        attn = cmam.last_attention[0].float().cpu().numpy()
        entry = dict(
            word_weights=cmam.last_word_weights[0].float().cpu().numpy())
        if attn.ndim == 4:  # K, T', h, w
            stride = strides[stage - 1] if strides else 1
            ti = min(target_index // stride, attn.shape[1] - 1)
            entry.update(
                attention=attn[:, ti], time_index=ti, attention_all=attn)
        else:
            entry['attention'] = attn
        entries[stage] = entry
    return entries


def _recorded_lgfs(head: nn.Module) -> Dict:
    """{stage: shares and weights} of the head's LGFS recorded weights."""
    entries = {}
    for i, fusion in enumerate(_lgfs(head)):
        weights = fusion.last_weights[0].float().cpu().numpy()  # 2, C
        share = float(weights[0].mean())
        entries[i + 1] = dict(
            spatial_share=share, temporal_share=1. - share, weights=weights)
    return entries


def run_with_recording(model: nn.Module,
                       clip: torch.Tensor,
                       query: str,
                       target_index: Optional[int] = None,
                       img_shape: Optional[Sequence[int]] = None,
                       ori_shape: Optional[Sequence[int]] = None) -> Dict:
    """Run ``model`` on one clip with CMAM/LGFS recording on.

    Args:
        clip: uint8 (C, T, H, W), resized and padded as the test pipeline
            does (see :func:`mmcsted.apis.inference.load_clip`).
        query: the query.
        target_index: the target frame's index in the clip (default T // 2).
        img_shape: (h, w) of the frame inside the padding (default: all).
        ori_shape: (H, W) of the original frame (default ``img_shape``).

    Returns:
        dict with
        ``query``; ``words`` ({'spatial': [...], 'temporal': [...]});
        ``spatial`` / ``temporal``: {stage (int): {'attention': (K, h, w)
        (temporal: the target's time slice), 'word_weights': (K,),
        'time_index' and 'attention_all' (K, T', h, w) for temporal}};
        ``lgfs``: {stage: {'spatial_share', 'temporal_share', 'weights'
        (2, C)}} (empty without LGFS); ``seg_logits`` / ``pred_sem_seg`` (H, W)
        at ``ori_shape``; ``img_shape``, ``pad_shape``, ``ori_shape``.
    """
    if clip.dim() != 4:
        raise ValueError(f'clip must be (C, T, H, W), got {tuple(clip.shape)}')
    t, h, w = clip.shape[1:]
    target_index = t // 2 if target_index is None else int(target_index)
    img_shape = tuple(img_shape or (h, w))[:2]
    ori_shape = tuple(ori_shape or img_shape)[:2]
    sample = ActorSegDataSample(
        metainfo=dict(
            query=query,
            target_index=target_index,
            img_shape=img_shape,
            ori_shape=ori_shape))
    model.eval()
    with recording(model), torch.no_grad():
        pred = model.test_step(dict(inputs=[clip], data_samples=[sample]))[0]
        pad_shape = tuple(sample.metainfo.get('batch_input_shape', (h, w)))
        out = dict(
            query=query,
            words={},
            spatial={},
            temporal={},
            lgfs={},
            img_shape=img_shape,
            pad_shape=pad_shape,
            ori_shape=ori_shape,
            seg_logits=pred.seg_logits.data[0].float().cpu().numpy(),
            pred_sem_seg=pred.pred_sem_seg.data[0].cpu().numpy())
        for name, enc in model.encoders.items():
            out['words'][name] = query_words(enc, query)
            out[name].update(_recorded_cmams(enc, target_index))
        out['lgfs'].update(_recorded_lgfs(model.decode_head))
    return out


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
        fig.savefig(out_file, dpi=100)
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
        fig.savefig(out_file, dpi=100)
    return fig


def save_attention_figures(result: Dict,
                           frame: np.ndarray,
                           out_dir: str,
                           stage: int = 3,
                           normalise: str = 'word') -> Dict[str, str]:
    """Write ``spatial_stage{S}.png``, ``temporal_stage{S}.png``,
    ``word_weights.json``, ``lgfs.json`` and ``lgfs.png`` (what exists for
    the model) into ``out_dir``; returns {what: path}."""
    import os
    import os.path as osp
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
    dump(dict(query=q, **word_weight_table(result)), path, indent=2)
    written['word_weights'] = path
    if result['lgfs']:
        table = lgfs_table(result)
        path = osp.join(out_dir, 'lgfs.json')
        dump(dict(query=q, stages=table), path, indent=2)
        written['lgfs'] = path
        path = osp.join(out_dir, 'lgfs.png')
        plot_lgfs(result['lgfs'], title=f'LGFS: "{q}"', out_file=path)
        written['lgfs_plot'] = path
    return written
