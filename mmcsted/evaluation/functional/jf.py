"""Region similarity J and boundary accuracy F of DAVIS, per frame.

Definitions, and how they relate to the official code: docs/metrics.md.
"""
from typing import Any, Optional, Sequence

import numpy as np
import torch

from mmcsted.utils.misc import as_2d_tensor


def as_bool_mask(mask: Any, name: str) -> np.ndarray:
    """A 2-D boolean array from a (1, H, W) or (H, W) array / tensor
    (foreground > 0)."""
    if not isinstance(mask, torch.Tensor):
        mask = np.asarray(mask)
    return as_2d_tensor(mask, name).numpy() > 0


def _masks(pred: Any, gt: Any, void: Any) -> tuple:
    """(pred, gt, void or None) as boolean arrays of one shape."""
    pred = as_bool_mask(pred, 'pred')
    gt = as_bool_mask(gt, 'gt')
    void = None if void is None else as_bool_mask(void, 'void')
    if pred.shape != gt.shape:
        raise ValueError(f'pred {pred.shape} and gt {gt.shape} differ in '
                         'shape')
    if void is not None and void.shape != gt.shape:
        raise ValueError(f'void {void.shape} and gt {gt.shape} differ in '
                         'shape')
    return pred, gt, void


def region_similarity_j(pred: Any, gt: Any, void: Any = None) -> float:
    """J: |pred & gt| / |pred | gt| over the non-void pixels; 1.0 when that
    union is empty.

    Args:
        pred, gt: (H, W) masks, foreground > 0.
        void: optional (H, W) mask of pixels to leave out (> 0).
    """
    pred, gt, void = _masks(pred, gt, void)
    keep = np.ones_like(gt) if void is None else ~void
    inter = np.count_nonzero(pred & gt & keep)
    union = np.count_nonzero((pred | gt) & keep)
    if union == 0:
        return 1.0
    return inter / union


def mask_boundary(mask: Any) -> np.ndarray:
    """The DAVIS ``seg2bmap`` boundary of a binary mask (docs/metrics.md,
    "JFMetric")."""
    seg = as_bool_mask(mask, 'mask')
    right = np.zeros_like(seg)
    down = np.zeros_like(seg)
    down_right = np.zeros_like(seg)
    right[:, :-1] = seg[:, 1:]
    down[:-1, :] = seg[1:, :]
    down_right[:-1, :-1] = seg[1:, 1:]
    bound = (seg ^ right) | (seg ^ down) | (seg ^ down_right)
    bound[-1, :] = seg[-1, :] ^ right[-1, :]
    bound[:, -1] = seg[:, -1] ^ down[:, -1]
    bound[-1, -1] = False
    return bound


def boundary_tolerance(shape: Sequence[int], bound_th: float = 0.008) -> float:
    """Match radius in pixels as the DAVIS toolkit takes it: ``bound_th``
    itself if >= 1, else ``ceil(bound_th * norm((H, W)))`` (computed as the
    toolkit does, so that a product at an integer rounds the same way)."""
    if bound_th >= 1:
        return float(bound_th)
    return float(np.ceil(bound_th * np.linalg.norm(tuple(shape[:2]))))


def disk_kernel(radius: float) -> np.ndarray:
    """The toolkit's disk (scikit-image ``disk``), fractional offsets of a
    non-integer ``r`` included (docs/metrics.md, "JFMetric")."""
    axis = np.arange(-radius, radius + 1)
    xs, ys = np.meshgrid(axis, axis)
    return xs**2 + ys**2 <= radius**2


def dilate_boundary(bound: np.ndarray, radius: float) -> np.ndarray:
    """``bound`` dilated by :func:`disk_kernel` with ``cv2.dilate`` and its
    default anchor, as the toolkit dilates (docs/metrics.md, "JFMetric")."""
    if radius <= 0 or not bound.any():
        return bound
    import cv2
    return cv2.dilate(
        bound.astype(np.uint8),
        disk_kernel(radius).astype(np.uint8)) > 0


def boundary_f_measure(pred_b: np.ndarray, pred_dil: np.ndarray,
                       gt_b: np.ndarray, gt_dil: np.ndarray) -> float:
    """F of two boundaries given with their dilations: 1 if both are empty,
    0 if one is, else ``2PR / (P + R)`` (0 when ``P + R == 0``)."""
    n_pred = int(np.count_nonzero(pred_b))
    n_gt = int(np.count_nonzero(gt_b))
    if n_pred == 0 and n_gt == 0:
        return 1.0
    if n_pred == 0 or n_gt == 0:
        return 0.0
    precision = np.count_nonzero(pred_b & gt_dil) / n_pred
    recall = np.count_nonzero(gt_b & pred_dil) / n_gt
    if precision + recall == 0:
        return 0.0
    return float(2 * precision * recall / (precision + recall))


def boundary_f(pred: Any,
               gt: Any,
               void: Any = None,
               bound_th: float = 0.008) -> float:
    """Boundary F-measure of DAVIS, in [0, 1].

    Args:
        pred, gt: (H, W) masks, foreground > 0.
        void: optional (H, W) mask of pixels cleared from both masks before
            the boundaries are taken.
        bound_th: tolerance as a fraction of the image diagonal (< 1) or in
            pixels (>= 1). Defaults to 0.008.
    """
    pred, gt, void = _masks(pred, gt, void)
    side = FrameBoundaries([pred, gt], void, bound_th)
    return side.f(0, 1, side)


class FrameBoundaries:
    """The DAVIS boundaries of the masks of one frame and their dilations,
    each computed once, so that F of all (predicted, ground-truth) pairs
    costs ``P + K`` dilations instead of ``2 P K``.

    Args:
        masks: (H, W) boolean masks.
        void: optional (H, W) void pixels, cleared from every mask first.
        bound_th: the tolerance of :func:`boundary_f`.
    """

    def __init__(self,
                 masks: Sequence[np.ndarray],
                 void: Optional[np.ndarray] = None,
                 bound_th: float = 0.008):
        self.items = []
        for m in masks:
            m = np.asarray(m, dtype=bool)
            if void is not None:
                m = m & ~void
            b = mask_boundary(m)
            radius = boundary_tolerance(m.shape, bound_th)
            self.items.append((b, dilate_boundary(b, radius)))

    def f(self, pred: int, gt: int, gt_side: 'FrameBoundaries') -> float:
        """F of mask ``pred`` of this frame against mask ``gt`` of
        ``gt_side``."""
        return boundary_f_measure(*self.items[pred], *gt_side.items[gt])
