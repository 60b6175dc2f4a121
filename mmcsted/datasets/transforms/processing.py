"""Geometric and photometric transforms of a clip (and its target mask)."""
import re
from typing import Dict, Optional, Sequence, Tuple, Union

import cv2
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform

from mmcsted.registry import TRANSFORMS
from mmcsted.utils.misc import check_choice
from ..utils import ArgsRepr

#: interpolations of the resizes (``mmcv.imresize`` names); Pillow has no
#: ``'area'``
CV2_INTERPOLATIONS = ('nearest', 'bilinear', 'bicubic', 'area')
PIL_INTERPOLATIONS = ('nearest', 'bilinear', 'bicubic')


def _mask_of_frames(results: Dict, h: int, w: int) -> Optional[np.ndarray]:
    """``gt_sem_seg`` if loaded, checked to be of the frames' size."""
    mask = results.get('gt_sem_seg')
    if mask is not None and mask.shape[:2] != (h, w):
        raise ValueError(f'gt_sem_seg is {mask.shape[:2]} but the frames '
                         f'are {(h, w)}')
    return mask


@TRANSFORMS.register_module()
class ResizePadSquare(ArgsRepr, BaseTransform):
    """Resize keeping the aspect ratio so that the long side is ``size``, then
    pad at the bottom/right to ``size x size`` (``gt_sem_seg`` too, nearest).

    Sets ``img_shape`` (before padding), ``pad_shape``, ``scale_factor``
    (``(w_scale, h_scale)`` relative to ``ori_shape``).
    """

    repr_args = ('size', 'interpolation', 'pad_val')

    def __init__(self,
                 size: int = 320,
                 interpolation: str = 'bilinear',
                 pad_val: int = 0):
        check_choice('interpolation', interpolation, CV2_INTERPOLATIONS)
        self.size = int(size)
        self.interpolation = interpolation
        self.pad_val = pad_val

    def transform(self, results: Dict) -> Dict:
        imgs = results['imgs']
        h, w = imgs[0].shape[:2]
        ori_h, ori_w = results.setdefault('ori_shape', (h, w))[:2]
        scale = self.size / max(h, w)
        nh = min(self.size, max(1, int(round(h * scale))))
        nw = min(self.size, max(1, int(round(w * scale))))
        square = (self.size, self.size)
        out = []
        for img in imgs:
            if (nh, nw) != (h, w):
                img = mmcv.imresize(
                    img, (nw, nh), interpolation=self.interpolation)
            # bottom / right; one value per channel (a scalar pads one)
            out.append(
                mmcv.impad(img, shape=square, pad_val=(self.pad_val, ) * 3))
        results['imgs'] = out
        mask = _mask_of_frames(results, h, w)
        if mask is not None:
            if (nh, nw) != (h, w):
                mask = cv2.resize(
                    mask, (nw, nh), interpolation=cv2.INTER_NEAREST)
            results['gt_sem_seg'] = mmcv.impad(mask, shape=square, pad_val=0)
        results['img_shape'] = (nh, nw)
        results['pad_shape'] = (self.size, self.size)
        results['scale_factor'] = (nw / ori_w, nh / ori_h)
        return results


def cstm_mask_resize(mask: np.ndarray, size_hw: Tuple[int, int]) -> np.ndarray:
    """The authors' resize of a training mask: bilinear ``F.interpolate`` with
    ``align_corners=True``, then every value > 0 is foreground (uint8 {0, 1}).
    """
    import torch
    import torch.nn.functional as F
    t = torch.from_numpy(np.ascontiguousarray(mask)).float()[None, None]
    out = F.interpolate(
        t,
        size=tuple(int(v) for v in size_hw),
        mode='bilinear',
        align_corners=True)[0, 0]
    return (out > 0).numpy().astype(np.uint8)


@TRANSFORMS.register_module()
class ResizeStretch(ArgsRepr, BaseTransform):
    """Stretch every frame to ``size`` (int or ``(H, W)``; no aspect ratio, no
    padding), as the authors' test code does.

    Args:
        backend: ``'pillow'`` (default; exactly the authors' resize) or
            ``'cv2'`` (no antialiasing).
        interpolation: ``'bilinear'``, ``'nearest'``, ``'bicubic'`` (``'area'``
            with ``'cv2'``).
        mask_resize: for a ``gt_sem_seg`` already loaded: ``'cstm'``
            (:func:`cstm_mask_resize`) or ``'nearest'``.
    """

    repr_args = ('size', 'backend', 'interpolation', 'mask_resize')

    def __init__(self,
                 size: Union[int, Sequence[int]] = 320,
                 backend: str = 'pillow',
                 interpolation: str = 'bilinear',
                 mask_resize: str = 'cstm'):
        if isinstance(size, int):
            size = (size, size)
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f'size must be an int or (H, W), got {size}')
        check_choice('backend', backend, ('pillow', 'cv2'))
        check_choice(
            f'interpolation (backend={backend!r})', interpolation,
            CV2_INTERPOLATIONS if backend == 'cv2' else PIL_INTERPOLATIONS)
        check_choice('mask_resize', mask_resize, ('cstm', 'nearest'))
        self.size = (int(size[0]), int(size[1]))
        self.backend = backend
        self.interpolation = interpolation
        self.mask_resize = mask_resize

    def resize_frame(self, img: np.ndarray) -> np.ndarray:
        h, w = self.size
        if self.backend == 'cv2' and img.shape[:2] == (h, w):
            return img
        # Pillow, as torchvision's Resize on a PIL image: it antialiases
        # when downscaling, OpenCV does not
        return mmcv.imresize(
            np.ascontiguousarray(img), (w, h),
            interpolation=self.interpolation,
            backend=self.backend)

    def transform(self, results: Dict) -> Dict:
        imgs = results['imgs']
        fh, fw = imgs[0].shape[:2]
        ori_h, ori_w = results.setdefault('ori_shape', (fh, fw))[:2]
        h, w = self.size
        results['imgs'] = [self.resize_frame(img) for img in imgs]
        mask = _mask_of_frames(results, fh, fw)
        if mask is not None:
            if self.mask_resize == 'cstm':
                results['gt_sem_seg'] = cstm_mask_resize(mask, (h, w))
            else:
                results['gt_sem_seg'] = cv2.resize(
                    mask, (w, h), interpolation=cv2.INTER_NEAREST)
        results['img_shape'] = (h, w)
        results['pad_shape'] = (h, w)
        results['scale_factor'] = (w / ori_w, h / ori_h)
        return results


# Words whose meaning mirrors under a horizontal flip.
DEFAULT_SWAP_WORDS = {
    'left': 'right',
    'right': 'left',
    'leftmost': 'rightmost',
    'rightmost': 'leftmost',
    'lefthand': 'righthand',
    'righthand': 'lefthand',
    'leftward': 'rightward',
    'rightward': 'leftward',
    'leftwards': 'rightwards',
    'rightwards': 'leftwards',
    'clockwise': 'counterclockwise',
    'counterclockwise': 'clockwise',
    'counter-clockwise': 'clockwise',
    'anticlockwise': 'clockwise',
    'anti-clockwise': 'clockwise',
}


def swap_words(text: str, mapping: Dict[str, str]) -> str:
    """Replace whole words (case-insensitive, keeping the case style) by
    their mirror, in a single pass (so left->right->left cannot happen)."""
    keys = sorted(mapping, key=len, reverse=True)
    pattern = re.compile(
        r'(?<!\w)(' + '|'.join(re.escape(k) for k in keys) + r')(?!\w)',
        re.IGNORECASE)

    def repl(m):
        word = m.group(0)
        new = mapping[word.lower()]
        if word.isupper() and len(word) > 1:
            return new.upper()
        if word[0].isupper():
            return new[0].upper() + new[1:]
        return new

    return pattern.sub(repl, text)


@TRANSFORMS.register_module()
class RandomFlipWithQuery(ArgsRepr, BaseTransform):
    """Horizontal flip of the clip's valid region (``img_shape``) and mask that
    also mirrors the query's words (:data:`DEFAULT_SWAP_WORDS`).
    """

    repr_args = ('prob', )

    def __init__(self,
                 prob: float = 0.5,
                 swap_words: Optional[Dict[str, str]] = None):
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob
        self.swap_words = dict(DEFAULT_SWAP_WORDS if swap_words is
                               None else swap_words)

    @staticmethod
    def _flip(arr: np.ndarray, h: int, w: int) -> np.ndarray:
        arr = arr.copy()
        arr[:h, :w] = arr[:h, :w][:, ::-1]
        return arr

    def transform(self, results: Dict) -> Dict:
        flip = bool(np.random.rand() < self.prob)
        results['flip'] = flip
        results['flip_direction'] = 'horizontal' if flip else None
        if not flip:
            return results
        imgs = results['imgs']
        full = imgs[0].shape[:2]
        h, w = results.get('img_shape', full)[:2]
        results['imgs'] = [self._flip(img, h, w) for img in imgs]
        if results.get('gt_sem_seg') is not None:
            mask = results['gt_sem_seg']
            mh, mw = (h, w) if mask.shape[:2] == full else mask.shape[:2]
            results['gt_sem_seg'] = self._flip(mask, mh, mw)
        results['query'] = swap_words(results['query'], self.swap_words)
        return results


def _range(val: Union[float, Tuple[float, float]], centre: float,
           name: str) -> Tuple[float, float]:
    if isinstance(val, (tuple, list)):
        lo, hi = float(val[0]), float(val[1])
    else:
        lo, hi = centre - float(val), centre + float(val)
    if lo > hi or (centre == 1 and lo < 0):
        raise ValueError(f'bad {name} range {val}')
    return lo, hi


@TRANSFORMS.register_module()
class ClipColorJitter(ArgsRepr, BaseTransform):
    """Brightness / contrast / saturation / hue jitter drawn once per clip and
    applied alike to every frame's valid region, in a random order.

    Args:
        brightness, contrast, saturation: ``x``: a factor in
            ``[1 - x, 1 + x]``; or a ``(min, max)`` pair.
        hue: ``x``: a shift in ``[-x, x]`` of a full turn; or a pair.
        prob: probability of jittering a clip at all.
    """

    repr_args = ('brightness', 'contrast', 'saturation', 'hue', 'prob')

    def __init__(self,
                 brightness: Union[float, Sequence[float]] = 0.2,
                 contrast: Union[float, Sequence[float]] = 0.2,
                 saturation: Union[float, Sequence[float]] = 0.2,
                 hue: Union[float, Sequence[float]] = 0.02,
                 prob: float = 1.0):
        self.brightness = _range(brightness, 1.0, 'brightness')
        self.contrast = _range(contrast, 1.0, 'contrast')
        self.saturation = _range(saturation, 1.0, 'saturation')
        self.hue = _range(hue, 0.0, 'hue')
        if not -0.5 <= self.hue[0] <= self.hue[1] <= 0.5:
            raise ValueError(
                f'hue shift must be within [-0.5, 0.5], got {hue}')
        self.prob = prob

    @staticmethod
    def _gray(x: np.ndarray) -> np.ndarray:
        return x[..., 0] * 0.299 + x[..., 1] * 0.587 + x[..., 2] * 0.114

    def transform(self, results: Dict) -> Dict:
        if np.random.rand() >= self.prob:
            return results
        imgs = results['imgs']
        full = imgs[0].shape[:2]
        h, w = results.get('img_shape', full)[:2]
        clip = np.stack([img[:h, :w] for img in imgs]).astype(np.float32)
        b = np.random.uniform(*self.brightness)
        c = np.random.uniform(*self.contrast)
        s = np.random.uniform(*self.saturation)
        hshift = np.random.uniform(*self.hue)
        for op in np.random.permutation(4):
            if op == 0:
                clip *= b
            elif op == 1:
                mean = self._gray(clip).mean()
                clip = (clip - mean) * c + mean
            elif op == 2:
                gray = self._gray(clip)[..., None]
                clip = (clip - gray) * s + gray
            elif op == 3 and hshift != 0:
                t = clip.shape[0]
                flat = np.clip(clip, 0, 255).reshape(t * h, w, 3) / 255.0
                hsv = cv2.cvtColor(flat.astype(np.float32), cv2.COLOR_RGB2HSV)
                hsv[..., 0] = (hsv[..., 0] + hshift * 360.0) % 360.0
                clip = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB).reshape(
                    t, h, w, 3) * 255.0
            clip = np.clip(clip, 0, 255)
        clip = clip.round().astype(np.uint8)
        out = []
        for img, new in zip(imgs, clip):
            img = img.copy()
            img[:h, :w] = new
            out.append(img)
        results['imgs'] = out
        return results
