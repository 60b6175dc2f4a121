"""Drawing actor masks and queries on RGB uint8 (H, W, 3) images with OpenCV
(fast enough for every frame of a video): prediction vs ground truth for
evaluation (:class:`ActorSegVisualizer`, to mmengine's vis backends or a
file) and a single overlay for the demos (:func:`overlay_query_mask`)."""
from typing import Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
from mmengine.dist import master_only
from mmengine.structures import BaseDataElement
from mmengine.visualization import Visualizer

from mmcsted.registry import VISUALIZERS
from mmcsted.utils.atomic_write import atomic_write_image
from mmcsted.utils.misc import as_2d_tensor

Color = Tuple[int, int, int]
PRED_COLOR: Color = (255, 72, 40)  # orange-red
GT_COLOR: Color = (40, 220, 80)  # green
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _to_numpy_mask(mask) -> Optional[np.ndarray]:
    """(H, W) array from a tensor / array of shape (H, W) or (1, H, W), or
    from a PixelData."""
    if mask is None:
        return None
    if isinstance(mask, BaseDataElement):
        mask = mask.data
    return as_2d_tensor(mask, 'mask').numpy()


def _fit(mask: np.ndarray,
         shape: Tuple[int, int],
         interpolation=cv2.INTER_NEAREST) -> np.ndarray:
    if mask.shape[:2] != tuple(shape):
        mask = cv2.resize(
            mask.astype(np.float32), (shape[1], shape[0]),
            interpolation=interpolation)
    return mask


def upscale(image: np.ndarray, min_size: int) -> Tuple[np.ndarray, int]:
    """Enlarge small frames by an integer factor so that the long side is at
    least ``min_size`` (text and contours stay readable); (image, factor)."""
    long_side = max(image.shape[:2])
    if not min_size or long_side >= min_size:
        return image, 1
    factor = int(np.ceil(min_size / long_side))
    h, w = image.shape[:2]
    return cv2.resize(
        image, (w * factor, h * factor),
        interpolation=cv2.INTER_LINEAR), factor


def draw_mask(image: np.ndarray,
              mask,
              color: Color = PRED_COLOR,
              alpha: float = 0.5,
              fill: bool = True,
              contour: bool = True,
              thickness: int = 2) -> np.ndarray:
    """Blend a binary mask into an RGB image (filled and/or outlined); the
    mask is resized (nearest) to the image if needed. Returns a new image."""
    out = image.copy()
    mask = _to_numpy_mask(mask)
    if mask is None:
        return out
    mask = _fit(mask, image.shape[:2]) > 0.5
    if fill and mask.any():
        colour = np.array(color, dtype=np.float32)
        region = out[mask].astype(np.float32)
        out[mask] = (region * (1 - alpha) + colour * alpha).astype(np.uint8)
    if contour and mask.any():
        contours, _ = cv2.findContours(
            mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(out, contours, -1, tuple(int(c) for c in color),
                         thickness)
    return out


def draw_score(image: np.ndarray, score, alpha: float = 0.5) -> np.ndarray:
    """Blend a [0, 1] probability map as a JET heat map."""
    score = _to_numpy_mask(score).astype(np.float32)
    score = _fit(score, image.shape[:2], cv2.INTER_LINEAR)
    heat = cv2.applyColorMap((np.clip(score, 0, 1) * 255).astype(np.uint8),
                             cv2.COLORMAP_JET)
    heat = cv2.cvtColor(heat, cv2.COLOR_BGR2RGB)
    return (image.astype(np.float32) * (1 - alpha) +
            heat.astype(np.float32) * alpha).astype(np.uint8)


def _ascii(text: str) -> str:
    return ''.join(c if 32 <= ord(c) < 127 else '?' for c in str(text))


def _font_scale(width: int) -> float:
    return float(np.clip(width / 640., 0.4, 1.0))


def _wrap(text: str,
          width: int,
          scale: float,
          thickness: int,
          max_lines: int = 3):
    """The lines of ``text`` that fit ``width``; at most ``max_lines``, the
    last one ending with '...' when the text is cut (a 10,000-character
    query made a caption taller than the video)."""
    lines, line = [], ''
    for word in _ascii(text).split():
        trial = f'{line} {word}'.strip()
        if line and cv2.getTextSize(trial, _FONT, scale,
                                    thickness)[0][0] > width:
            lines.append(line)
            line = word
        else:
            line = trial
    if line or not lines:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and cv2.getTextSize(last + ' ...', _FONT, scale,
                                       thickness)[0][0] > width:
            last = last.rsplit(' ', 1)[0] if ' ' in last else last[:-1]
        lines[-1] = last + ' ...'
    return lines


def text_band(text: str,
              width: int,
              color: Color = (255, 255, 255),
              background: Color = (0, 0, 0),
              scale: Optional[float] = None) -> np.ndarray:
    """A ``width``-wide band holding ``text`` wrapped over up to three lines
    (the query never hides the frame)."""
    scale = scale or _font_scale(width)
    thickness = 1 if scale < 0.7 else 2
    margin = max(4, int(8 * scale))
    lines = _wrap(text, width - 2 * margin, scale, thickness)
    (_, th), base = cv2.getTextSize('Ag', _FONT, scale, thickness)
    line_h = th + base + int(4 * scale) + 2
    band = np.empty((margin + line_h * len(lines) + margin // 2, width, 3),
                    dtype=np.uint8)
    band[:] = background
    y = margin + th
    for line in lines:
        cv2.putText(band, line, (margin, y), _FONT, scale, color, thickness,
                    cv2.LINE_AA)
        y += line_h
    return band


def draw_query(image: np.ndarray, query: str, **kwargs) -> np.ndarray:
    """The image with the query written in a band above it."""
    return np.concatenate([text_band(query, image.shape[1], **kwargs), image])


def overlay_query_mask(frame: np.ndarray,
                       mask,
                       query: Optional[str] = None,
                       color: Color = PRED_COLOR,
                       alpha: float = 0.5,
                       min_size: int = 0) -> np.ndarray:
    """One demo frame: ``mask`` blended (and outlined) on ``frame``, the query
    above it. ``min_size`` enlarges small frames first."""
    frame, _ = upscale(frame, min_size)
    out = draw_mask(
        frame, mask, color, alpha, thickness=max(1, frame.shape[1] // 320 + 1))
    return draw_query(out, query) if query else out


def frame_from_clip(clip, meta: dict, mean=None, std=None) -> np.ndarray:
    """The target frame of a packed clip (C, T, H, W) (or frame (C, H, W))
    as RGB uint8 at ``ori_shape``: the ``target_index`` time slice,
    un-normalised with ``mean``/``std`` when the clip is a normalised float
    tensor, cropped to ``img_shape`` (the padding removed) and resized."""
    import torch
    clip = torch.as_tensor(clip).detach().cpu()
    if clip.dim() == 3:
        frame = clip
    else:
        frame = clip[:, int(meta.get('target_index', clip.shape[1] // 2))]
    frame = frame.float()
    if clip.dtype != torch.uint8 and mean is not None and std is not None:
        frame = frame * torch.as_tensor(std).float().cpu().view(-1, 1, 1) \
            + torch.as_tensor(mean).float().cpu().view(-1, 1, 1)
    img = frame.clamp(0, 255).byte().permute(1, 2, 0).numpy()
    h, w = tuple(meta.get('img_shape', img.shape[:2]))[:2]
    img = img[:h, :w]
    oh, ow = tuple(meta.get('ori_shape', (h, w)))[:2]
    if (oh, ow) != (h, w):
        img = cv2.resize(
            img, (int(ow), int(oh)), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(img)


def mask_iou(pred: np.ndarray, gt: np.ndarray) -> float:
    pred, gt = pred > 0, gt > 0
    union = np.logical_or(pred, gt).sum()
    return float(np.logical_and(pred, gt).sum() / union) if union else 1.


def hstack_images(panels: Sequence[np.ndarray], gap: int = 4) -> np.ndarray:
    """RGB images side by side (bottom-padded to one height), white gaps."""
    h = max(p.shape[0] for p in panels)
    out = []
    for i, p in enumerate(panels):
        if p.shape[0] < h:
            p = np.concatenate(
                [p, np.zeros((h - p.shape[0], ) + p.shape[1:], np.uint8)])
        if i:
            out.append(np.full((h, gap, 3), 255, np.uint8))
        out.append(p)
    return np.concatenate(out, axis=1)


@VISUALIZERS.register_module()
class ActorSegVisualizer(Visualizer):
    """Prediction vs ground truth of language-queried actor segmentation.

    ``add_datasample`` draws, side by side, the prediction (filled in
    ``pred_color``, the ground truth outlined in ``gt_color``, the IoU in the
    panel title) and the ground truth (filled in ``gt_color``), with the query
    written above both; optionally a heat map of ``seg_logits``.

    Args:
        name, image, vis_backends, save_dir: see mmengine's ``Visualizer``.
        pred_color / gt_color: RGB colours.
        alpha: mask opacity.
        min_size: small frames are enlarged so that the long side is at least
            this (0: never).
        draw_score: add a panel with the predicted probability map.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[list] = None,
                 save_dir: Optional[str] = None,
                 pred_color: Color = PRED_COLOR,
                 gt_color: Color = GT_COLOR,
                 alpha: float = 0.5,
                 min_size: int = 320,
                 draw_score: bool = False,
                 **kwargs):
        super().__init__(
            name=name,
            image=image,
            vis_backends=vis_backends,
            save_dir=save_dir,
            **kwargs)
        self.pred_color = tuple(pred_color)
        self.gt_color = tuple(gt_color)
        self.alpha = alpha
        self.min_size = min_size
        self.draw_score = draw_score

    def _panel(self, image: np.ndarray, title: str):
        """(title band, image) of one panel."""
        return (text_band(
            title,
            image.shape[1],
            background=(40, 40, 40),
            scale=_font_scale(image.shape[1]) * 0.8), image)

    @staticmethod
    def _join(panels) -> np.ndarray:
        """Panels side by side, their title bands padded to one height so
        that the images line up."""
        band_h = max(b.shape[0] for b, _ in panels)
        out = []
        for band, image in panels:
            if band.shape[0] < band_h:
                pad = np.empty((band_h - band.shape[0], ) + band.shape[1:],
                               np.uint8)
                pad[:] = band[-1:]
                band = np.concatenate([band, pad])
            out.append(np.concatenate([band, image]))
        return hstack_images(out)

    def draw_sample(self,
                    image: np.ndarray,
                    data_sample=None,
                    draw_gt: bool = True,
                    draw_pred: bool = True) -> np.ndarray:
        """The picture ``add_datasample`` shows (RGB uint8)."""
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f'image must be H x W x 3 RGB, got {image.shape}')
        image = np.ascontiguousarray(image, dtype=np.uint8)
        big, _ = upscale(image, self.min_size)
        thickness = max(1, big.shape[1] // 320 + 1)
        get = (lambda k: data_sample.get(k)) if data_sample is not None \
            else (lambda k: None)
        pred = _to_numpy_mask(get('pred_sem_seg')) if draw_pred else None
        gt = _to_numpy_mask(get('gt_sem_seg')) if draw_gt else None
        score = _to_numpy_mask(get('seg_logits')) \
            if draw_pred and self.draw_score else None
        panels = []
        if pred is not None:
            shown = draw_mask(
                big, pred, self.pred_color, self.alpha, thickness=thickness)
            title = 'prediction'
            if gt is not None:
                shown = draw_mask(
                    shown, gt, self.gt_color, fill=False, thickness=thickness)
                iou = mask_iou(_fit(pred, gt.shape) > 0.5, gt)
                title += f' (IoU {iou:.2f}, gt outlined)'
            panels.append(self._panel(shown, title))
        if score is not None:
            panels.append(
                self._panel(draw_score(big, score, self.alpha), 'score'))
        if gt is not None:
            panels.append(
                self._panel(
                    draw_mask(
                        big,
                        gt,
                        self.gt_color,
                        self.alpha,
                        thickness=thickness), 'ground truth'))
        drawn = self._join(panels) if panels else big
        query = data_sample.metainfo.get('query') \
            if data_sample is not None else None
        if query:
            drawn = draw_query(drawn, f'"{query}"')
        return drawn

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample=None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       step: int = 0) -> None:
        """Draw a sample and show it, write it to ``out_file``, or else give
        it to the vis backends (``vis_image/<name>_<step>.png`` with
        ``LocalVisBackend``).

        Args:
            name: the image's name (window title / backend key).
            image: the original target frame, RGB uint8 (H, W, 3).
            data_sample: an ``ActorSegDataSample`` with ``pred_sem_seg`` and/or
                ``gt_sem_seg`` (masks of another size are resized to the image)
                and the ``query`` in its metainfo.
            draw_gt / draw_pred: which masks to draw.
            show: show the picture in a window.
            wait_time: seconds the window stays (0: until a key).
            out_file: write the picture here instead of the backends.
            step: the backends' global step.
        """
        drawn = self.draw_sample(image, data_sample, draw_gt, draw_pred)
        self.set_image(drawn)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            atomic_write_image(mmcv.rgb2bgr(drawn), out_file)
        else:
            self.add_image(name, drawn, step)
