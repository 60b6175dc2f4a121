"""What the query does inside CSTED (the paper's Figure 5).

* CMAM word-to-location relevance ``A`` (one map per word) and the word weights
  ``w~`` of the spatial and of the temporal encoder at each stage: the spatial
  branch should lean on appearance words, the temporal one on action words.
* LGFS: the share of the spatial vs the temporal feature that the query selects
  at each decoder stage (mean over channels of the per-channel softmax).

:func:`run_with_recording` runs the model once with recording switched on (on
the clip :func:`load_clip` prepares) and returns plain numpy arrays;
tools/analysis_tools/attention_figures.py draws them.
"""
import contextlib
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn

from mmcsted.apis.inference import ClipItem, VideoActorSegInferencer
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


def load_clip(model: nn.Module, video, frame_index: int,
              **pipeline_args) -> ClipItem:
    """The clip around one 0-based frame, through the test pipeline as
    :func:`mmcsted.apis.iter_inference` runs it (``.clip`` uint8 (C, T, H,
    W), ``.frame`` the original RGB target frame, ``.img_shape``,
    ``.ori_shape``, ``.data_sample``); ``pipeline_args`` as for
    ``iter_inference``."""
    inferencer = VideoActorSegInferencer(model)
    batches = inferencer.preprocess(
        video, 1, frames=[frame_index], keep_frames=True, **pipeline_args)
    try:
        return next(batches)[0]
    finally:
        batches.close()


def run_with_recording(model: nn.Module,
                       clip: torch.Tensor,
                       query: str,
                       target_index: Optional[int] = None,
                       img_shape: Optional[Sequence[int]] = None,
                       ori_shape: Optional[Sequence[int]] = None) -> Dict:
    """Run ``model`` on one clip with CMAM/LGFS recording on.

    Args:
        clip: uint8 (C, T, H, W), resized and padded as the test pipeline
            does (see :func:`load_clip`).
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
