"""Binarisation rules of a foreground probability map.

See docs/metrics.md ("Binarisation" and "The authors' protocol").
"""
from typing import Tuple

import numpy as np
import torch
import torch.nn.functional as F

#: the binarisation rules of a probability map
BINARIZE_RULES = ('max_ratio', 'threshold')


def binarize_score(score: torch.Tensor,
                   rule: str = 'max_ratio',
                   max_ratio: float = 0.5,
                   threshold: float = 0.5) -> torch.Tensor:
    """``score > max_ratio * max(score)`` (``'max_ratio'``; empty when the
    maximum is <= 0) or ``score >= threshold`` (``'threshold'``)."""
    if rule == 'max_ratio':
        return score > max_ratio * score.max()
    if rule == 'threshold':
        return score >= threshold
    raise ValueError(f'binarisation rule must be one of {BINARIZE_RULES}, '
                     f'got {rule!r}')


def cstm_masks(score_input: np.ndarray,
               gt: np.ndarray,
               max_ratio: float = 0.5,
               gt_round_trip: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """The prediction and ground truth that the authors' test code scores
    (docs/metrics.md, "The authors' protocol").

    Args:
        score_input: (h, w) foreground probability (sigmoid) at the model's
            input size.
        gt: (H, W) ground truth at the frame size, foreground > 0.
        max_ratio: the authors' 0.5.
        gt_round_trip: resize the ground truth to the input size and back as
            the authors' code does (True); False keeps it as it is.

    Returns:
        (pred, gt) as (H, W) bool arrays.
    """
    import cv2
    score_input = np.asarray(score_input, dtype=np.float32)
    gt = np.asarray(gt)
    if score_input.ndim != 2 or gt.ndim != 2:
        raise ValueError(f'cstm_masks takes 2-D maps, got '
                         f'{score_input.shape} and {gt.shape}')
    h_in, w_in = score_input.shape
    big_h, big_w = gt.shape
    res = score_input * np.float32(255.0)
    small = (res > res.max() * max_ratio).astype(np.uint8)
    pred = cv2.resize(small, (big_w, big_h)) == 1
    if gt_round_trip:
        gt_t = torch.from_numpy((gt > 0).astype(np.float32))[None, None]
        gt_small = F.interpolate(
            gt_t, size=(h_in, w_in), mode='bilinear',
            align_corners=True)[0, 0].numpy()
        gt_small = (gt_small > 0).astype(np.uint8)
        gt = cv2.resize(gt_small, (big_w, big_h)) == 1
    else:
        gt = gt > 0
    return pred, gt
