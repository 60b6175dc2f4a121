"""Building a CSTED model for inference, and segmenting the actor a query
names in every (or every requested) frame of a video.

Each requested frame is the target of its own clip: ``clip_len`` frames
around it with the config's ``frame_interval``, clamped at the video's ends
(as the test pipeline's ``SampleClipAroundFrame``; with its
``mode='release'``, the authors' shifted clip); frames are resized so
that the long side is the config's input size and padded bottom/right to a
square (as ``ResizePadSquare``), or stretched to the input size (as
``ResizeStretch``, e.g. with Pillow) when the config's test pipeline says so.
A folder of frame images is read in name order (natural order), index ``i``
being its ``i``-th image, as for a video file. Frames are decoded in
ascending order through a sliding cache that only holds the frames still
needed by the current and later batches, so memory does not grow with the
video's length.

Frame indices in this API are 0-based (the datasets' ``frame_id`` is 1-based).
"""
import copy
import logging
import os.path as osp
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Union

import cv2
import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import init_default_scope

from mmcsted.datasets.clip_sampling import CLIP_MODES, sample_clip
from mmcsted.registry import INFERENCERS, MODELS
from mmcsted.structures import ActorSegDataSample
from mmcsted.utils.checkpoint import load_checkpoint_reported
from mmcsted.utils.video_io import FrameReader, open_video
from .model_zoo import resolve_checkpoint

ConfigType = Union[str, Path, Config]
DEFAULT_INPUT_SIZE = 320


# ---------------------------------------------------------------- the model
def _text_encoder_cfgs(model_cfg) -> List[dict]:
    """The text encoder configs of a model: the shared one (``text_encoder``
    of the model, as in the authors' release) and the encoders' own."""
    out = [model_cfg['text_encoder']] if model_cfg.get('text_encoder') else []
    for key in ('spatial_encoder', 'temporal_encoder'):
        enc = model_cfg.get(key)
        if enc and enc.get('text_encoder'):
            out.append(enc['text_encoder'])
    return out


def vocab_from_checkpoint_if_missing(model_cfg) -> None:
    """A GRU text encoder whose vocabulary file is absent takes the vocabulary
    stored in the checkpoint (it travels with the weights)."""
    for text in _text_encoder_cfgs(model_cfg):
        vocab_file = text.get('vocab_file')
        if text.get('type') == 'GRUTextEncoder' and text.get('vocab') is None \
                and (vocab_file is None or not osp.isfile(vocab_file)):
            if vocab_file:
                print_log(
                    f'vocabulary file {vocab_file} not found: the vocabulary '
                    'stored in the checkpoint is used',
                    logger='current')
            text['vocab_file'] = None
            text['vocab_from_checkpoint'] = True


def init_model(config: ConfigType,
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device] = 'cpu',
               cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a CSTED model from a config and load its weights.

    Args:
        config: a config file or :class:`mmengine.Config`.
        checkpoint: a path, an http(s) URL or a model-zoo name of
            ``configs/csted/metafile.yml`` (see :func:`resolve_checkpoint`);
            loaded by mmengine's loader, which mmcsted makes safe
            (``weights_only=True``, hash-checked downloads). None: random
            weights (a warning is logged).
        device: where the model goes.
        cfg_options: overrides merged into the config.

    Returns:
        The model in eval mode, with ``cfg`` (the config),
        ``checkpoint_report`` (missing / unexpected / mismatched keys) and,
        if the checkpoint has it, ``dataset_meta``.
    """
    if isinstance(config, (str, Path)):
        cfg = Config.fromfile(str(config))
    elif isinstance(config, Config):
        cfg = copy.deepcopy(config)
    else:
        raise TypeError('config must be a file name or a Config, got '
                        f'{type(config).__name__}')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    from mmcsted.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmcsted'))

    path = None
    if checkpoint is not None:
        path = resolve_checkpoint(str(checkpoint))
        vocab_from_checkpoint_if_missing(cfg.model)
    model = MODELS.build(cfg.model)
    model.checkpoint_report = None
    if path is not None:
        ckpt, model.checkpoint_report = load_checkpoint_reported(model, path)
        meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
        if isinstance(meta, dict) and meta.get('dataset_meta'):
            model.dataset_meta = meta['dataset_meta']
    else:
        print_log('init_model without a checkpoint: the weights are random',
                  logger='current',
                  level=logging.WARNING)
    model.cfg = cfg
    model.to(device)
    model.eval()
    return model


# ------------------------------------------------------------ test settings
def _find_transform(pipeline, name: str) -> Optional[dict]:
    for t in pipeline or []:
        if isinstance(t, dict) and str(t.get('type', '')).split('.')[-1] \
                == name:
            return t
    return None


def inference_settings(model: nn.Module) -> Dict:
    """The test settings of the model's config (its test pipeline):

    * ``input_size``: of ``ResizePadSquare`` / ``ResizeStretch`` (320);
    * ``clip_len``, ``frame_interval``, ``clip_mode`` (``'centred'`` or
      ``'release'``): of ``SampleClipAroundFrame`` (``model.clip_len``, 1,
      ``'centred'``);
    * ``resize``: ``'pad_square'`` (``ResizePadSquare``, default) or
      ``'stretch'`` (``ResizeStretch``), with ``resize_backend``
      (``'cv2'``; ``ResizeStretch``'s ``backend``, e.g. ``'pillow'``) and
      ``interpolation`` (``'bilinear'``);
    * ``image_backend``: how a folder's images are decoded, ``VideoDecode``'s
      ``image_backend`` (``'cv2'``).
    """
    cfg = getattr(model, 'cfg', None)
    out = dict(input_size=None, clip_len=None, frame_interval=None,
               clip_mode=None, resize=None, resize_backend=None,
               interpolation=None, image_backend=None)
    if cfg is not None:
        pipelines = []
        for key in ('test_dataloader', 'val_dataloader'):
            dl = cfg.get(key)
            if dl and dl.get('dataset'):
                pipelines.append(dl['dataset'].get('pipeline'))
        pipelines.append(cfg.get('test_pipeline'))
        for pipeline in pipelines:
            pad = _find_transform(pipeline, 'ResizePadSquare')
            stretch = _find_transform(pipeline, 'ResizeStretch')
            clip = _find_transform(pipeline, 'SampleClipAroundFrame')
            decode = _find_transform(pipeline, 'VideoDecode')
            resize = pad or stretch
            if resize and out['input_size'] is None:
                size = resize.get('size', DEFAULT_INPUT_SIZE)
                if not isinstance(size, int):
                    if len(set(size)) != 1:
                        raise ValueError(
                            'inference takes a square input size, the '
                            f'config has {size}')
                    size = size[0]
                out['input_size'] = int(size)
                out['resize'] = 'pad_square' if pad else 'stretch'
                out['resize_backend'] = 'cv2' if pad else resize.get(
                    'backend', 'pillow')
                out['interpolation'] = resize.get('interpolation',
                                                  'bilinear')
            if clip and out['clip_len'] is None:
                out['clip_len'] = int(clip.get('clip_len', 8))
                out['frame_interval'] = int(clip.get('frame_interval', 1))
                out['clip_mode'] = clip.get('mode', 'centred')
            if decode and out['image_backend'] is None:
                out['image_backend'] = decode.get('image_backend', 'cv2')
        if out['input_size'] is None and cfg.get('input_size'):
            out['input_size'] = int(cfg.input_size)
    defaults = dict(input_size=DEFAULT_INPUT_SIZE,
                    clip_len=int(getattr(model, 'clip_len', 8)),
                    frame_interval=1,
                    clip_mode='centred',
                    resize='pad_square',
                    resize_backend='cv2',
                    interpolation='bilinear',
                    image_backend='cv2')
    return {k: defaults[k] if v is None else v for k, v in out.items()}


def resize_pad(frame: np.ndarray, size: int):
    """Resize so that the long side is ``size`` (aspect kept) and pad
    bottom/right to ``size x size`` with 0 (as ``ResizePadSquare``).

    Returns (the padded frame, (h, w) of the resized frame)."""
    h, w = frame.shape[:2]
    scale = size / max(h, w)
    nh = min(size, max(1, int(round(h * scale))))
    nw = min(size, max(1, int(round(w * scale))))
    if (nh, nw) != (h, w):
        frame = cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_LINEAR)
    out = np.zeros((size, size, 3), dtype=np.uint8)
    out[:nh, :nw] = frame
    return out, (nh, nw)


def resize_stretch(frame: np.ndarray,
                   size: int,
                   backend: str = 'pillow',
                   interpolation: str = 'bilinear'):
    """Stretch to ``size x size`` (no aspect kept, no padding), as
    ``ResizeStretch``. Returns (the frame, (size, size))."""
    from mmcsted.datasets.transforms import ResizeStretch
    resize = ResizeStretch(size, backend=backend, interpolation=interpolation)
    return resize.resize_frame(frame), (size, size)


def make_resizer(resize: str = 'pad_square',
                 size: int = DEFAULT_INPUT_SIZE,
                 backend: str = 'cv2',
                 interpolation: str = 'bilinear'):
    """``frame -> (resized frame, img_shape)`` of ``'pad_square'``
    (:func:`resize_pad`) or ``'stretch'`` (:func:`resize_stretch`)."""
    if resize == 'pad_square':
        return lambda frame: resize_pad(frame, size)
    if resize == 'stretch':
        from mmcsted.datasets.transforms import ResizeStretch
        op = ResizeStretch(size, backend=backend, interpolation=interpolation)
        return lambda frame: (op.resize_frame(frame), (size, size))
    raise ValueError(f"resize must be 'pad_square' or 'stretch', got "
                     f'{resize!r}')


def check_query(query: str) -> str:
    from mmcsted.models.text_encoders.vocabulary import split_words
    if not isinstance(query, str):
        raise TypeError(f'the query must be a string, got '
                        f'{type(query).__name__}')
    if not split_words(query):
        raise ValueError(f'empty query {query!r}: a query names the actor to '
                         'segment, e.g. "the man in red is running"')
    return query


# ----------------------------------------------------------- clip streaming
@dataclass
class ClipItem:
    """One target frame's clip, ready for the model."""
    frame_index: int  # 0-based
    clip: torch.Tensor  # uint8 (C, T, S, S)
    frame_inds: List[int]  # 0-based, clamped
    img_shape: tuple
    ori_shape: tuple
    clamped: bool
    frame: Optional[np.ndarray] = None  # original RGB target frame


class ClipStream:
    """Batches of clips around ascending target frames from a
    :class:`FrameReader`, decoding each frame once, in ascending order.

    The cache holds resized frames that the current or a later batch still
    needs, and nothing below the lowest of them; with every frame requested it
    holds at most ``(clip_len - 1) * frame_interval + batch_size`` frames
    (``peak_cache`` records the largest size it reached).
    """

    def __init__(self,
                 reader: FrameReader,
                 targets: Sequence[int],
                 clip_len: int,
                 frame_interval: int,
                 input_size: int,
                 batch_size: int = 8,
                 keep_frames: bool = False,
                 clip_mode: str = 'centred',
                 resizer=None):
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        if clip_mode not in CLIP_MODES:
            raise ValueError(f'clip_mode must be one of {CLIP_MODES}, got '
                             f'{clip_mode!r}')
        self.clip_mode = clip_mode
        self.resizer = resizer or make_resizer('pad_square', input_size)
        self.reader = reader
        self.targets = list(targets)
        self.clip_len = clip_len
        self.frame_interval = frame_interval
        self.input_size = input_size
        self.batch_size = batch_size
        self.keep_frames = keep_frames
        self.cache: Dict[int, np.ndarray] = {}
        self.originals: Dict[int, np.ndarray] = {}
        self.shapes: Dict[int, tuple] = {}
        self.peak_cache = 0
        self.frames_decoded = 0
        self.decode_time = 0.
        if any(b <= a for a, b in zip(self.targets, self.targets[1:])):
            raise ValueError('targets must be strictly ascending')
        # the last batch that needs each frame (frames nobody needs are
        # never decoded)
        self.last_use: Dict[int, int] = {}
        for pos, t in enumerate(self.targets):
            # (the release's clip may leave out its target frame: with
            # keep_frames the target is decoded too, for its original)
            for i in self.window(t)[0] + ([t] if keep_frames else []):
                self.last_use[i] = pos // batch_size
        self.needed = sorted(self.last_use)
        self._target_set = set(self.targets) if keep_frames else set()

    def __len__(self) -> int:
        return -(-len(self.targets) // self.batch_size)

    def window(self, target: int):
        """(0-based frame indices of the clip around ``target``, clamped?)"""
        inds, _, clamped = sample_clip(target + 1, self.reader.num_frames,
                                       self.clip_len, self.frame_interval,
                                       self.clip_mode)
        return [i - 1 for i in inds], clamped

    def _load_until(self, hi: int, start: int) -> int:
        """Decode the needed frames in [start, hi]; returns the next start."""
        lo_pos = np.searchsorted(self.needed, start)
        hi_pos = np.searchsorted(self.needed, hi, side='right')
        wanted = self.needed[lo_pos:hi_pos]
        if not wanted:
            return start
        t0 = time.perf_counter()
        for i, frame in self.reader.iter_frames(wanted):
            self.cache[i], img_shape = self.resizer(frame)
            self.shapes[i] = (img_shape, tuple(frame.shape[:2]))
            if i in self._target_set:
                self.originals[i] = frame
            self.frames_decoded += 1
            self.peak_cache = max(self.peak_cache, len(self.cache))
        self.decode_time += time.perf_counter() - t0
        return hi + 1

    def __iter__(self) -> Iterator[List[ClipItem]]:
        next_read = 0
        for b in range(len(self)):
            batch = self.targets[b * self.batch_size:(b + 1) * self.batch_size]
            windows = {t: self.window(t) for t in batch}
            hi = max(max(w[0]) for w in windows.values())
            next_read = max(next_read, self._load_until(hi, next_read))
            t0 = time.perf_counter()
            items = []
            for t in batch:
                inds, clamped = windows[t]
                clip = np.stack([self.cache[i] for i in inds])  # T,H,W,3
                # the frame the model segments: the target, except in the
                # release's shifted clip near a video's start
                img_shape, ori_shape = self.shapes[inds[self.clip_len // 2]]
                items.append(
                    ClipItem(frame_index=t,
                             clip=torch.from_numpy(
                                 np.ascontiguousarray(
                                     clip.transpose(3, 0, 1, 2))),
                             frame_inds=inds,
                             img_shape=img_shape,
                             ori_shape=ori_shape,
                             clamped=clamped,
                             frame=self.originals.pop(t, None)))
            for i in [i for i in self.cache if self.last_use[i] <= b]:
                del self.cache[i]
                self.shapes.pop(i, None)
            self.decode_time += time.perf_counter() - t0
            yield items


def _settings(model: nn.Module, **overrides) -> Dict:
    """:func:`inference_settings` with the non-None ``overrides``."""
    settings = inference_settings(model)
    unknown = set(overrides) - set(settings)
    if unknown:
        raise TypeError(f'unknown inference settings {sorted(unknown)}')
    settings.update({k: v for k, v in overrides.items() if v is not None})
    if settings['clip_mode'] not in CLIP_MODES:
        raise ValueError(f'clip_mode must be one of {CLIP_MODES}, got '
                         f'{settings["clip_mode"]!r}')
    return settings


def _resizer(settings: Dict):
    return make_resizer(settings['resize'], settings['input_size'],
                        settings['resize_backend'], settings['interpolation'])


def load_clip(model: nn.Module,
              video,
              frame_index: int,
              input_size: Optional[int] = None,
              clip_len: Optional[int] = None,
              frame_interval: Optional[int] = None,
              **settings) -> ClipItem:
    """The clip around one 0-based frame, preprocessed as
    :func:`iter_inference` does (``.clip`` uint8 (C, T, S, S), ``.frame`` the
    original RGB target frame, ``.img_shape``, ``.ori_shape``); ``settings``
    override those of :func:`inference_settings` (``clip_mode``,
    ``resize``, ``resize_backend``, ``image_backend``, ...)."""
    settings = _settings(model, input_size=input_size, clip_len=clip_len,
                         frame_interval=frame_interval, **settings)
    reader = open_video(video, image_backend=settings['image_backend'])
    try:
        targets = _targets([frame_index], reader.num_frames, reader.name)
        stream = ClipStream(reader,
                            targets,
                            settings['clip_len'],
                            settings['frame_interval'],
                            settings['input_size'],
                            batch_size=1,
                            keep_frames=True,
                            clip_mode=settings['clip_mode'],
                            resizer=_resizer(settings))
        return next(iter(stream))[0]
    finally:
        if reader is not video:
            reader.close()


# -------------------------------------------------------------- inference
@dataclass
class VideoSegResult:
    """Masks of the requested frames, in ascending frame order.

    ``masks[i]`` (H, W) uint8 {0, 1} and ``scores[i]`` (H, W) float32 (the
    foreground probability; None with ``return_scores=False``) belong to frame
    ``frame_indices[i]`` (0-based). ``stats``: frames, decode_time,
    model_time, fps (frames / (decode + model time)),
    fps_after_first_batch (without the first batch's warm-up; with more than
    one batch), peak_cache, frames_decoded, wall_time.
    """
    video: str
    query: str
    frame_indices: List[int] = field(default_factory=list)
    masks: List[np.ndarray] = field(default_factory=list)
    scores: List[Optional[np.ndarray]] = field(default_factory=list)
    stats: Dict[str, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.frame_indices)

    def __getitem__(self, i: int) -> Dict:
        return dict(frame_index=self.frame_indices[i],
                    mask=self.masks[i],
                    score=self.scores[i])


def _targets(frames, num_frames: int, name: str) -> List[int]:
    if frames is None:
        return list(range(num_frames))
    if isinstance(frames, (int, np.integer)):
        frames = [frames]
    targets = sorted({int(f) for f in frames})
    if not targets:
        raise ValueError('no frame requested (frames is empty)')
    bad = [f for f in targets if not 0 <= f < num_frames]
    if bad:
        raise IndexError(
            f'requested frame(s) {bad[:10]} out of range: {name} has '
            f'{num_frames} frames, valid indices are 0..{num_frames - 1} '
            '(0-based)')
    return targets


class _Progress:

    def __init__(self, total: int, enable: bool, desc: str):
        self.bar = None
        if enable:
            from tqdm import tqdm
            self.bar = tqdm(total=total, desc=desc, unit='frame')

    def update(self, n: int):
        if self.bar is not None:
            self.bar.update(n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def iter_inference(model: nn.Module,
                   video,
                   query: str,
                   frames: Optional[Sequence[int]] = None,
                   batch_size: int = 8,
                   progress: bool = True,
                   return_frames: bool = False,
                   return_scores: bool = True,
                   input_size: Optional[int] = None,
                   clip_len: Optional[int] = None,
                   frame_interval: Optional[int] = None,
                   stats: Optional[dict] = None,
                   clip_mode: Optional[str] = None,
                   resize: Optional[str] = None,
                   resize_backend: Optional[str] = None,
                   image_backend: Optional[str] = None) -> Iterator[Dict]:
    """Segment ``query``'s actor frame by frame; yields, in ascending frame
    order, ``dict(frame_index, mask, score[, frame])`` as soon as each batch
    is done (for writing a long video out without holding it).

    Args:
        model: from :func:`init_model` (eval mode).
        video: a video file, a folder of frame images (read in name
            order, natural order for unpadded numbers: index ``i`` is the
            ``i``-th image, as frame ``i`` of a video file), a (T, H, W, 3)
            RGB uint8 array or a
            :class:`~mmcsted.utils.video_io.FrameReader`. An image that
            cannot be decoded raises ``VideoReadError`` naming it; a folder
            without images raises it too.
        query: the English query.
        frames: 0-based frame indices (default: every frame).
        batch_size: clips per forward pass.
        progress: a tqdm bar when more than one batch is run.
        return_frames: add the original RGB ``frame`` of each target.
        return_scores: add the probability map ``score`` (else None).
        input_size / clip_len / frame_interval: override the config's test
            settings (see :func:`inference_settings`).
        stats: a dict filled with the timing and cache statistics.
        clip_mode / resize / resize_backend / image_backend: override the
            config's test settings (see :func:`inference_settings`); e.g.
            ``clip_mode='release'`` is the authors' clip, which near a video's
            start is shifted: for 1-based frames ``f <= 8`` the model
            segments frame 9 and that mask is returned for frame ``f``.
    """
    check_query(query)
    settings = _settings(model, input_size=input_size, clip_len=clip_len,
                         frame_interval=frame_interval, clip_mode=clip_mode,
                         resize=resize, resize_backend=resize_backend,
                         image_backend=image_backend)
    input_size = settings['input_size']
    clip_len = settings['clip_len']
    frame_interval = settings['frame_interval']
    reader = open_video(video, image_backend=settings['image_backend'])
    own_reader = reader is not video
    stats = stats if stats is not None else {}
    try:
        if reader.num_frames < 1:
            raise ValueError(f'{reader.name} has no frames')
        targets = _targets(frames, reader.num_frames, reader.name)
        stream = ClipStream(reader,
                            targets,
                            clip_len,
                            frame_interval,
                            input_size,
                            batch_size,
                            keep_frames=return_frames,
                            clip_mode=settings['clip_mode'],
                            resizer=_resizer(settings))
        bar = _Progress(len(targets), progress and len(stream) > 1,
                        f'segmenting "{query[:30]}"')
        model_time, done, first = 0., 0, None
        t_start = time.perf_counter()
        try:
            for items in stream:
                samples = [
                    ActorSegDataSample(metainfo=dict(
                        query=query,
                        video_id=reader.name,
                        frame_id=it.frame_index + 1,
                        frame_inds=[i + 1 for i in it.frame_inds],
                        target_index=clip_len // 2,
                        clamped=it.clamped,
                        img_shape=it.img_shape,
                        pad_shape=(input_size, input_size),
                        ori_shape=it.ori_shape,
                        scale_factor=(it.img_shape[1] / it.ori_shape[1],
                                      it.img_shape[0] / it.ori_shape[0])))
                    for it in items
                ]
                t0 = time.perf_counter()
                with torch.no_grad():
                    preds = model.test_step(
                        dict(inputs=[it.clip for it in items],
                             data_samples=samples))
                    out = [(p.pred_mask.data[0].cpu().numpy(),
                            p.pred_score.data[0].float().cpu().numpy()
                            if return_scores else None) for p in preds]
                model_time += time.perf_counter() - t0
                done += len(items)
                if first is None:  # includes one-off warm-up costs
                    first = (done, stream.decode_time + model_time)
                elif done > first[0]:
                    stats['fps_after_first_batch'] = (done - first[0]) / max(
                        stream.decode_time + model_time - first[1], 1e-9)
                stats.update(frames=done,
                             decode_time=stream.decode_time,
                             model_time=model_time,
                             fps=done /
                             max(stream.decode_time + model_time, 1e-9),
                             peak_cache=stream.peak_cache,
                             frames_decoded=stream.frames_decoded,
                             wall_time=time.perf_counter() - t_start)
                bar.update(len(items))
                for it, (mask, score) in zip(items, out):
                    result = dict(frame_index=it.frame_index,
                                  mask=mask,
                                  score=score)
                    if return_frames:
                        result['frame'] = it.frame
                    yield result
        finally:
            bar.close()
    finally:
        if own_reader:
            reader.close()


def inference_video(model: nn.Module,
                    video,
                    query: str,
                    frames: Optional[Sequence[int]] = None,
                    batch_size: int = 8,
                    progress: bool = True,
                    **kwargs) -> VideoSegResult:
    """Segment the actor ``query`` names in a video (see
    :func:`iter_inference` for the arguments); returns a
    :class:`VideoSegResult` with a mask and a score map per requested frame
    at the frame's original size."""
    stats = {}
    result = VideoSegResult(video=video if isinstance(video, str) else getattr(
        video, 'name',
        type(video).__name__),
                            query=query)
    for r in iter_inference(model,
                            video,
                            query,
                            frames,
                            batch_size,
                            progress,
                            stats=stats,
                            **kwargs):
        result.frame_indices.append(r['frame_index'])
        result.masks.append(r['mask'])
        result.scores.append(r['score'])
    result.stats = stats
    return result


@INFERENCERS.register_module()
class VideoActorSegInferencer:
    """Language-queried actor segmentation of whole videos.

    Example::

        inferencer = VideoActorSegInferencer(
            'configs/csted/synthetic/csted_tiny_synthetic.py',
            'checkpoints/csted_tiny_synthetic.pth')
        result = inferencer('video.mp4', 'the red circle is jumping')
        result.masks[0]  # (H, W) uint8 mask of frame 0

    Args:
        model: a config (file or Config) or a built model.
        checkpoint: path, URL or model-zoo name (with a config).
        device: 'cpu', 'cuda', 'cuda:1', ...
        cfg_options: config overrides.
    """

    def __init__(self,
                 model: Union[ConfigType, nn.Module],
                 checkpoint: Optional[str] = None,
                 device: Union[str, torch.device] = 'cpu',
                 cfg_options: Optional[dict] = None):
        if isinstance(model, nn.Module):
            self.model = model.to(device).eval()
        else:
            self.model = init_model(model, checkpoint, device, cfg_options)

    def __call__(self,
                 video,
                 query: str,
                 frames: Optional[Sequence[int]] = None,
                 batch_size: int = 8,
                 progress: bool = True,
                 **kwargs) -> VideoSegResult:
        return inference_video(self.model, video, query, frames, batch_size,
                               progress, **kwargs)

    def stream(self, video, query: str, **kwargs) -> Iterator[Dict]:
        """Results one frame at a time (see :func:`iter_inference`)."""
        return iter_inference(self.model, video, query, **kwargs)
