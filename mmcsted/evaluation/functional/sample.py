"""Reading data samples (dicts or data elements) into plain arrays."""
from typing import Any, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.structures import BaseDataElement

from mmcsted.utils.misc import as_2d_tensor


def sample_get(sample: Any, key: str, default: Any = None) -> Any:
    """``key`` of a data sample given as a dict or a data element."""
    if isinstance(sample, (dict, BaseDataElement)):
        return sample.get(key, default)
    return getattr(sample, key, default)


def to_python(value: Any) -> Any:
    """Tensors / numpy scalars -> python values (JSON- and pickle-friendly)."""
    if isinstance(value, torch.Tensor):
        value = value.item() if value.numel() == 1 else value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    elif isinstance(value, np.ndarray):
        value = value.item() if value.size == 1 else value.tolist()
    return value


def pixel_map(sample: Any, key: str) -> Optional[torch.Tensor]:
    """The (H, W) ``data`` of the sample's pixel field ``key`` (a PixelData,
    its ``to_dict`` form or a bare array); None when the sample lacks it."""
    field = sample_get(sample, key)
    if isinstance(field, (dict, BaseDataElement)):
        field = field.get('data')
    return None if field is None else as_2d_tensor(field, key)


def gt_and_void(sample: Any,
                metric: str) -> Tuple[torch.Tensor, Optional[np.ndarray]]:
    """(ground truth as an (H, W) bool tensor, void pixels as an (H, W) bool
    array or None) of a sample; no ``gt_sem_seg`` is an error naming
    ``metric``."""
    gt = pixel_map(sample, 'gt_sem_seg')
    if gt is None:
        raise KeyError(f'{metric} needs `gt_sem_seg` in every data sample')
    void = pixel_map(sample, 'void_mask')
    return gt > 0, None if void is None else (void > 0).numpy()


def expression_id(sample: Any) -> Any:
    """The sample's ``exp_id``, else its ``query``."""
    exp_id = sample_get(sample, 'exp_id')
    return sample_get(sample, 'query') if exp_id is None else exp_id


def resize_score(score: torch.Tensor, hw: tuple) -> torch.Tensor:
    """A float (H, W) map resized bilinearly (``align_corners=False``)."""
    if tuple(score.shape) == tuple(hw):
        return score
    return F.interpolate(
        score.float()[None, None],
        size=tuple(hw),
        mode='bilinear',
        align_corners=False)[0, 0]


def resize_mask(mask: torch.Tensor, hw: tuple) -> torch.Tensor:
    """A boolean (H, W) mask resized by nearest neighbour."""
    if tuple(mask.shape) == tuple(hw):
        return mask
    return F.interpolate(
        mask.float()[None, None], size=tuple(hw), mode='nearest')[0, 0] > 0.5
