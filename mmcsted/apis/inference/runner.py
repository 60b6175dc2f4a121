"""Segmenting the actor a query names in every (or every requested) frame of
a video: the clips of :mod:`.streaming` through the model, in batches.

Frame indices in this API are 0-based (the datasets' ``frame_id`` is 1-based).
"""
import time
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn

from mmcsted.registry import INFERENCERS
from mmcsted.utils.video_io import open_video
from .model import ConfigType, init_model
from .pipeline import check_query, inference_pipeline
from .streaming import ClipItem, ClipStream


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
        return dict(
            frame_index=self.frame_indices[i],
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


class _Timing:
    """The ``stats`` of :func:`iter_inference`, kept up to date."""

    def __init__(self, stats: dict, stream: ClipStream):
        self.stats, self.stream = stats, stream
        self.model_time, self.done, self.first = 0., 0, None
        self.t_start = time.perf_counter()

    def add(self, n: int, model_time: float) -> None:
        stream, stats = self.stream, self.stats
        self.model_time += model_time
        self.done += n
        busy = stream.decode_time + self.model_time
        if self.first is None:  # includes one-off warm-up costs
            self.first = (self.done, busy)
        elif self.done > self.first[0]:
            stats['fps_after_first_batch'] = (self.done - self.first[0]) / \
                max(busy - self.first[1], 1e-9)
        stats.update(
            frames=self.done,
            decode_time=stream.decode_time,
            model_time=self.model_time,
            fps=self.done / max(busy, 1e-9),
            peak_cache=stream.peak_cache,
            frames_decoded=stream.frames_decoded,
            wall_time=time.perf_counter() - self.t_start)


def _predict(model: nn.Module, items: List[ClipItem], return_scores: bool):
    """(mask, score or None) of each clip: the model's ``test_step`` on the
    packed clips, as in testing."""
    with torch.no_grad():
        preds = model.test_step(
            dict(
                inputs=[it.clip for it in items],
                data_samples=[it.data_sample for it in items]))
        return [(p.pred_mask.data[0].cpu().numpy(),
                 p.pred_score.data[0].float().cpu().numpy()
                 if return_scores else None) for p in preds]


def _open(model, video, frames, pipeline_args: dict):
    pipeline = inference_pipeline(model, **pipeline_args)
    reader = open_video(
        video,
        image_backend=pipeline.image_backend,
        backend_args=pipeline.backend_args)
    try:
        if reader.num_frames < 1:
            raise ValueError(f'{reader.name} has no frames')
        targets = _targets(frames, reader.num_frames, reader.name)
    except Exception:
        if reader is not video:
            reader.close()
        raise
    return pipeline, reader, targets


def _segment_stream(model: nn.Module, stream: ClipStream, timing: _Timing,
                    bar: _Progress, return_frames: bool,
                    return_scores: bool) -> Iterator[Dict]:
    """:func:`iter_inference`'s results, batch by batch as each is done;
    closes ``bar`` at the end."""
    try:
        for items in stream:
            t0 = time.perf_counter()
            out = _predict(model, items, return_scores)
            timing.add(len(items), time.perf_counter() - t0)
            bar.update(len(items))
            for it, (mask, score) in zip(items, out):
                result = dict(
                    frame_index=it.frame_index, mask=mask, score=score)
                if return_frames:
                    result['frame'] = it.frame
                yield result
    finally:
        bar.close()


def iter_inference(model: nn.Module,
                   video,
                   query: str,
                   frames: Optional[Sequence[int]] = None,
                   batch_size: int = 8,
                   progress: bool = True,
                   return_frames: bool = False,
                   return_scores: bool = True,
                   stats: Optional[dict] = None,
                   **pipeline_args) -> Iterator[Dict]:
    """Segment ``query``'s actor frame by frame; yields, in ascending frame
    order, ``dict(frame_index, mask, score[, frame])`` as soon as each batch
    is done (for writing a long video out without holding it).

    Args:
        model: from :func:`init_model` (eval mode).
        video: a video file, a folder of frame images (read in name
            order, natural order for unpadded numbers: index ``i`` is the
            ``i``-th image, as frame ``i`` of a video file), a (T, H, W, 3)
            RGB array (uint8, or float in [0, 1]) or a
            :class:`~mmcsted.utils.video_io.FrameReader`. An image that
            cannot be decoded raises ``VideoReadError`` naming it; a folder
            without images raises it too.
        query: the English query.
        frames: 0-based frame indices (default: every frame).
        batch_size: clips per forward pass.
        progress: a tqdm bar when more than one batch is run.
        return_frames: add the original RGB ``frame`` of each target.
        return_scores: add the probability map ``score`` (else None).
        stats: a dict filled with the timing and cache statistics.
        pipeline_args: override the config's test pipeline (see
            :func:`~.pipeline.inference_pipeline`): ``input_size``,
            ``clip_len``, ``frame_interval``, ``clip_mode``, ``resize``,
            ``resize_backend``, ``image_backend``; e.g.
            ``clip_mode='release'`` is the authors' clip, which near a video's
            start is shifted: for 1-based frames ``f <= 8`` the model
            segments frame 9 and that mask is returned for frame ``f``.
    """
    check_query(query)
    pipeline, reader, targets = _open(model, video, frames, pipeline_args)
    stats = stats if stats is not None else {}
    try:
        stream = ClipStream(
            reader,
            targets,
            pipeline.transforms,
            batch_size,
            keep_frames=return_frames,
            metainfo=dict(query=query))
        timing = _Timing(stats, stream)
        bar = _Progress(
            len(targets), progress and len(stream) > 1,
            f'segmenting "{query[:30]}"')
        yield from _segment_stream(model, stream, timing, bar, return_frames,
                                   return_scores)
    finally:
        if reader is not video:
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
    result = VideoSegResult(
        video=video if isinstance(video, str) else getattr(
            video, 'name',
            type(video).__name__),
        query=query)
    for r in iter_inference(
            model,
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


def load_clip(model: nn.Module, video, frame_index: int,
              **pipeline_args) -> ClipItem:
    """The clip around one 0-based frame, through the test pipeline as
    :func:`iter_inference` runs it (``.clip`` uint8 (C, T, H, W), ``.frame``
    the original RGB target frame, ``.img_shape``, ``.ori_shape``,
    ``.data_sample``); ``pipeline_args`` as for :func:`iter_inference`."""
    pipeline, reader, targets = _open(model, video, [frame_index],
                                      pipeline_args)
    try:
        stream = ClipStream(
            reader,
            targets,
            pipeline.transforms,
            batch_size=1,
            keep_frames=True,
            metainfo=dict(query=''))
        return next(iter(stream))[0]
    finally:
        if reader is not video:
            reader.close()


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
