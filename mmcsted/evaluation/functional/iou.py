"""IoU counts and the IoU-based scores of referring segmentation."""
from typing import Tuple

import numpy as np
import torch
from mmseg.evaluation.metrics import IoUMetric


def foreground_intersect_and_union(pred: torch.Tensor,
                                   gt: torch.Tensor) -> Tuple[int, int]:
    """Pixel counts of pred AND gt and of pred OR gt for two binary masks,
    by mmsegmentation's per-class histogram (class 1 = the actor)."""
    area_inter, area_union, _, _ = IoUMetric.intersect_and_union(
        pred.long(), gt.long(), num_classes=2, ignore_index=255)
    # histc counts in float32: exact up to 2**24 pixels per frame
    return int(area_inter[1].item()), int(area_union[1].item())


def smoothed_iou(inter: float, union: float, smooth: float) -> float:
    """``(I + s) / (U + s)``; 1.0 when ``U + s == 0``."""
    den = union + smooth
    if den <= 0:
        return 1.0
    return (inter + smooth) / den


def overall_iou(inters: np.ndarray, unions: np.ndarray) -> float:
    """``sum(I) / sum(U)`` in percent; 100 when ``sum(U) == 0``."""
    total_u = float(np.sum(unions))
    if total_u == 0:
        return 100.0
    return float(np.sum(inters)) / total_u * 100


def precision_at(ious: np.ndarray, thr: float, op: str = '>=') -> float:
    """Share (percent) of ``ious`` passing ``thr`` by ``op`` ('>=' / '>');
    NaN for no sample."""
    if ious.size == 0:
        return float('nan')
    hit = ious >= thr if op == '>=' else ious > thr
    return float(hit.mean()) * 100
