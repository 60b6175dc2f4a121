"""Transforms of the synthetic pretraining sets (Synthetic Kinetics,
ImageNet); their pipelines: docs/dataset_prepare.md.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform

from mmcsted.registry import TRANSFORMS
from mmcsted.utils.misc import check_choice
from ..clip_sampling import clip_around_frame
from ..utils import ArgsRepr


def eligible_frames(visible: Sequence[float],
                    min_visible: float,
                    clip_len: int = 1,
                    frame_interval: int = 1) -> List[int]:
    """1-based target frames where the actor shows at least ``min_visible`` of
    its area and the centred clip fits without repeated frames; else the
    best-visible fitting frames, else any frame.
    """
    n = len(visible)
    before = (clip_len // 2) * frame_interval
    after = (clip_len - 1 - clip_len // 2) * frame_interval
    fitting = [
        f for f in range(1, n + 1) if f - before >= 1 and f + after <= n
    ] or list(range(1, n + 1))
    good = [f for f in fitting if visible[f - 1] >= min_visible]
    if good:
        return good
    best = max(visible[f - 1] for f in fitting)
    return [f for f in fitting if visible[f - 1] == best]


def pick_frame(candidates: Sequence[int], total_frames: int,
               random: bool) -> int:
    """A random candidate (numpy's global generator, seeded by mmengine), or
    the one nearest to the video's middle (ties: the earlier).
    """
    if random:
        return int(candidates[np.random.randint(len(candidates))])
    mid = (total_frames + 1) / 2
    return int(min(candidates, key=lambda f: (abs(f - mid), f)))


@TRANSFORMS.register_module()
class SampleActorClip(ArgsRepr, BaseTransform):
    """Choose an actor sample's target frame (random in training, the middle
    eligible one in test mode) and the centred clip around it.

    Args:
        clip_len: frames per clip (1 for an image).
        frame_interval: step between the clip's frames.
        min_visible: overrides the dataset's ``min_visible``.
        random: draw at random; None (default): unless ``test_mode``.
    """

    repr_args = ('clip_len', 'frame_interval', 'min_visible', 'random')

    def __init__(self,
                 clip_len: int = 8,
                 frame_interval: int = 1,
                 min_visible: Optional[float] = None,
                 random: Optional[bool] = None):
        if clip_len < 1 or frame_interval < 1:
            raise ValueError('clip_len and frame_interval must be >= 1')
        self.clip_len = clip_len
        self.frame_interval = frame_interval
        self.min_visible = min_visible
        self.random = random

    def transform(self, results: Dict) -> Dict:
        visible = results['visible']
        total = int(results.get('total_frames', len(visible)))
        min_visible = self.min_visible if self.min_visible is not None \
            else results.get('min_visible', 0.5)
        candidates = eligible_frames(visible, min_visible, self.clip_len,
                                     self.frame_interval)
        random = self.random if self.random is not None else \
            not results.get('test_mode', False)
        frame_id = pick_frame(candidates, total, random)
        frames, target_index, _ = clip_around_frame(frame_id, total,
                                                    self.clip_len,
                                                    self.frame_interval)
        results.update(
            frame_id=frame_id,
            frame_inds=frames,
            target_index=target_index,
            clip_len=self.clip_len,
            frame_interval=self.frame_interval,
            num_clips=1,
            modality='RGB')  # read by mmaction2's Flip
        return results


@TRANSFORMS.register_module()
class CropAroundActor(ArgsRepr, BaseTransform):
    """Cut one square window, fixed over the clip, around the actor's centre in
    the target frame out of every frame, then resize it to ``out_size``
    (why: docs/dataset_prepare.md); adds ``crop_box``.

    Args:
        crop_size: window side in frame pixels.
        out_size: side of the output crops.
        max_shift: training only: random shift of the window in x and y.
        pad_val: value outside the frame.
        interpolation: ``'bilinear'``, ``'area'`` or ``'nearest'``.
    """

    repr_args = ('crop_size', 'out_size', 'max_shift', 'pad_val')

    INTERPOLATIONS = ('bilinear', 'area', 'nearest')

    def __init__(self,
                 crop_size: int = 60,
                 out_size: int = 48,
                 max_shift: float = 0.0,
                 pad_val: int = 0,
                 interpolation: str = 'bilinear'):
        if crop_size < 1 or out_size < 1:
            raise ValueError('crop_size and out_size must be >= 1')
        check_choice('interpolation', interpolation, self.INTERPOLATIONS)
        self.crop_size = int(crop_size)
        self.out_size = int(out_size)
        self.max_shift = float(max_shift)
        self.pad_val = pad_val
        self.interpolation = interpolation

    def window(self, cx: float, cy: float) -> Tuple[int, int, int, int]:
        x1 = int(round(cx - self.crop_size / 2))
        y1 = int(round(cy - self.crop_size / 2))
        return x1, y1, x1 + self.crop_size, y1 + self.crop_size

    def transform(self, results: Dict) -> Dict:
        cx, cy = results['centres'][int(results['frame_id']) - 1]
        if self.max_shift > 0 and not results.get('test_mode', False):
            cx += np.random.uniform(-self.max_shift, self.max_shift)
            cy += np.random.uniform(-self.max_shift, self.max_shift)
        x1, y1, x2, y2 = self.window(cx, cy)
        out = []
        for img in results['imgs']:
            h, w = img.shape[:2]
            crop = np.full(
                (self.crop_size, self.crop_size) + img.shape[2:],
                self.pad_val,
                dtype=img.dtype)
            sx1, sy1, sx2, sy2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
            if sx2 > sx1 and sy2 > sy1:
                crop[sy1 - y1:sy2 - y1, sx1 - x1:sx2 - x1] = \
                    img[sy1:sy2, sx1:sx2]
            if self.out_size != self.crop_size:
                crop = mmcv.imresize(
                    crop, (self.out_size, self.out_size),
                    interpolation=self.interpolation)
            out.append(crop)
        results['imgs'] = out
        results['crop_box'] = (x1, y1, x2, y2)
        results['img_shape'] = (self.out_size, self.out_size)
        return results


@TRANSFORMS.register_module()
class ClipToImage(BaseTransform):
    """Keep the target frame of the clip as ``img`` (an mmpretrain image
    sample); ``imgs`` is removed. Also sets ``gt_label`` from ``label``."""

    def transform(self, results: Dict) -> Dict:
        imgs = results.pop('imgs')
        results['img'] = imgs[int(results.get('target_index', 0))]
        results['img_shape'] = results['img'].shape[:2]
        if 'label' in results:
            results['gt_label'] = int(results['label'])
        return results
