"""Segmenting the actor a query names in the (requested) frames of a video:
:class:`VideoActorSegInferencer` on mmengine's ``BaseInferencer`` and the
functions that call it. Frame indices here are 0-based (the datasets'
``frame_id`` is 1-based)."""
import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmengine.infer import BaseInferencer

from mmcsted.models.utils import prepare_for_inference
from mmcsted.registry import INFERENCERS
from mmcsted.utils import install_stack_workarounds
from mmcsted.utils.video_io import (STREAMING_VIDEO_BACKENDS, VIDEO_BACKENDS,
                                    open_video)
from ..model_zoo import resolve_config
from .model import ConfigType, init_model
from .pipeline import PIPELINE_ARGS, check_query, inference_pipeline
from .streaming import ClipItem, ClipStream, prefetched


@dataclass
class VideoSegResult:
    """Masks of the requested frames, in ascending frame order: ``masks[i]``
    (H, W) uint8 {0, 1} and ``scores[i]`` (H, W) float32 probability (None
    with ``return_scores=False``) of frame ``frame_indices[i]`` (0-based);
    ``stats``: the frame cache's counts (docs/get_started.md)."""
    video: str
    query: str
    frame_indices: List[int] = field(default_factory=list)
    masks: List[np.ndarray] = field(default_factory=list)
    scores: List[Optional[np.ndarray]] = field(default_factory=list)
    stats: Dict[str, int] = field(default_factory=dict)

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
    # int() would take frame 1.5 as 1 and True as 1: only integers are
    # frame indices
    not_int = [
        f for f in frames
        if isinstance(f, (bool,
                          np.bool_)) or not isinstance(f, (int, np.integer))
    ]
    if not_int:
        raise TypeError(f'frame indices are integers (0-based), got '
                        f'{not_int[:10]}')
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


def _video_backends(frames) -> Sequence[str]:
    """PyAV first (memory flat over the file); decord, which seeks, when
    the frames asked for are under half of those up to the last one (PyAV
    decodes every frame before them: docs/benchmark.md)."""
    try:
        wanted = {int(f) for f in frames}
    except (TypeError, ValueError):  # None (all), or _targets' error
        return STREAMING_VIDEO_BACKENDS
    if wanted and len(wanted) < (max(wanted) + 1) / 2:
        return VIDEO_BACKENDS
    return STREAMING_VIDEO_BACKENDS


def _video_name(video) -> str:
    return video if isinstance(video, str) else getattr(
        video, 'name',
        type(video).__name__)


@INFERENCERS.register_module(name='video-actor-segmentation')
@INFERENCERS.register_module()
class VideoActorSegInferencer(BaseInferencer):
    """Language-queried actor segmentation of whole videos.

    One video and one query per call, decoded once through a sliding frame
    cache; an example and the keyword arguments of :meth:`__call__` and
    :meth:`stream` by step: docs/get_started.md, "Inference from Python".

    Args:
        model: a config (file, path under ``configs/``, model-zoo name or
            Config) or a built model (used as it is, on its device unless
            ``device`` is given).
        weights: path, URL or model-zoo name of the checkpoint (with a
            config); None: random weights.
        device: 'cpu', 'cuda', 'cuda:1', ... (default: 'cpu' for a config).
        cfg_options: config overrides.
        scope: the registry scope.
        show_progress: a tqdm bar when more than one batch is run.
        allow_mismatch: load a checkpoint that does not fit the config (see
            :func:`init_model`).
        prefetch: batches prepared ahead in a background thread (decoding
            and the test pipeline overlap the model); 0: none.
        fuse_conv_bn, bf16, channels_last: speed-ups applied to the model
            in place by :func:`mmcsted.models.utils.prepare_for_inference`
            (GPU figures: docs/benchmark.md).
    """

    preprocess_kwargs: set = {'frames', *PIPELINE_ARGS}
    forward_kwargs: set = {'return_scores'}
    visualize_kwargs: set = {'return_vis', 'min_size'}
    postprocess_kwargs: set = {'return_frames'}

    def __init__(self,
                 model: Union[ConfigType, nn.Module],
                 weights: Optional[str] = None,
                 device: Optional[Union[str, torch.device]] = None,
                 cfg_options: Optional[dict] = None,
                 scope: str = 'mmcsted',
                 show_progress: bool = True,
                 allow_mismatch: bool = False,
                 prefetch: int = 2,
                 fuse_conv_bn: bool = False,
                 bf16: bool = False,
                 channels_last: bool = False):
        install_stack_workarounds()  # before the config is read
        self.prefetch = prefetch
        self.bf16 = bf16
        self.cfg_options = cfg_options
        self.allow_mismatch = allow_mismatch
        self.built_model = model if isinstance(model, nn.Module) else None
        if self.built_model is not None:
            cfg = copy.deepcopy(getattr(model, 'cfg', None) or ConfigDict())
            if device is None:
                device = next(model.parameters()).device
        elif isinstance(model, (str, Path)):
            # a path under configs/ or a model-zoo name as init_model takes
            cfg = Config.fromfile(resolve_config(str(model)))
        else:
            cfg = model
        super().__init__(cfg, weights, device or 'cpu', scope, show_progress)
        self.cfg = getattr(self.model, 'cfg', self.cfg)
        prepare_for_inference(self.model, fuse_conv_bn, bf16, channels_last)

    def _init_model(self, cfg, weights: Optional[str], device) -> nn.Module:
        if self.built_model is not None:
            return self.built_model.to(device).eval()
        return init_model(cfg, weights, device, self.cfg_options,
                          self.allow_mismatch)

    def _init_pipeline(self, cfg):
        """The config's test pipeline made ready for inference; a call with
        pipeline overrides makes its own (see :meth:`preprocess`)."""
        return inference_pipeline(self.model)

    def _init_visualizer(self, cfg):
        # overlays are drawn by visualization.overlay_query_mask, a function:
        # no visualizer instance (nor its output folder) is needed
        return None

    def __call__(self,
                 inputs,
                 query: str,
                 frames: Optional[Sequence[int]] = None,
                 batch_size: int = 8,
                 progress: Optional[bool] = None,
                 **kwargs) -> VideoSegResult:
        """Segment the actor ``query`` names in the video ``inputs``; returns
        a :class:`VideoSegResult` with a mask (and a score map) per
        requested frame at the frame's original size. ``progress``: a tqdm
        bar (default ``show_progress``); ``kwargs``: see the class doc."""
        result = VideoSegResult(video=_video_name(inputs), query=query)
        for r in self.stream(
                inputs,
                query,
                frames=frames,
                batch_size=batch_size,
                progress=progress,
                stats=result.stats,
                **kwargs):
            result.frame_indices.append(r['frame_index'])
            result.masks.append(r['mask'])
            result.scores.append(r['score'])
        return result

    def stream(self,
               inputs,
               query: str,
               batch_size: int = 8,
               progress: Optional[bool] = None,
               stats: Optional[dict] = None,
               return_datasamples: bool = False,
               **kwargs) -> Iterator[Dict]:
        """Yield, in ascending frame order, ``dict(frame_index, mask,
        score[, frame][, visualization][, data_sample])`` as soon as each
        batch is done (for writing a long video out without holding it).
        ``stats``: a dict given the frame cache's counts (see
        :class:`VideoSegResult`); ``return_datasamples``: add the model's
        data sample."""
        check_query(query)
        pre, fwd, vis, post = self._dispatch_kwargs(**kwargs)
        keep_frames = bool(post.get('return_frames') or vis.get('return_vis'))
        show = self.show_progress if progress is None else progress
        for items in self.preprocess(
                inputs,
                batch_size,
                query=query,
                keep_frames=keep_frames,
                show_progress=show,
                stats=stats,
                **pre):
            preds = self.forward(items, **fwd)
            visualization = self.visualize(items, preds, **vis)
            yield from self.postprocess(preds, visualization,
                                        return_datasamples, **post)

    def preprocess(self,
                   inputs,
                   batch_size: int = 8,
                   query: str = '',
                   frames: Optional[Sequence[int]] = None,
                   keep_frames: bool = False,
                   show_progress: bool = False,
                   stats: Optional[dict] = None,
                   **pipeline_args) -> Iterator[List[ClipItem]]:
        """Batches of packed clips (:class:`~.streaming.ClipItem`) around the
        requested frames of one video."""
        pipeline = inference_pipeline(self.model, **pipeline_args) \
            if pipeline_args else self.pipeline
        if isinstance(frames, (int, np.integer)):
            frames = [frames]
        elif frames is not None:
            frames = list(frames)  # a generator is read once
        reader = open_video(
            inputs,
            image_backend=pipeline.image_backend,
            backend_args=pipeline.backend_args,
            video_backends=_video_backends(frames))
        bar = batches = None
        try:
            if reader.num_frames < 1:
                raise ValueError(f'{reader.name} has no frames')
            stream = ClipStream(
                reader,
                _targets(frames, reader.num_frames, reader.name),
                pipeline.transforms,
                batch_size,
                keep_frames=keep_frames,
                metainfo=dict(query=query))
            if show_progress and len(stream) > 1:
                from tqdm import tqdm
                bar = tqdm(
                    total=len(stream.targets),
                    desc=f'segmenting "{query[:30]}"',
                    unit='frame')
            batches = prefetched(stream, self.prefetch)
            for items in batches:
                yield items
                if bar is not None:
                    bar.update(len(items))
                if stats is not None:
                    stats.update(
                        frames=stats.get('frames', 0) + len(items),
                        frames_decoded=stream.frames_decoded,
                        peak_cache=stream.peak_cache)
        finally:
            if batches is not None:  # its thread stops before the reader
                batches.close()
            if bar is not None:
                bar.close()
            if reader is not inputs:
                reader.close()

    @torch.no_grad()
    def forward(self,
                inputs: List[ClipItem],
                return_scores: bool = True) -> List[Dict]:
        """The model's ``test_step`` on a batch of clips, as in testing:
        one dict per clip (``frame_index``, ``mask``, ``score``, ``frame``,
        ``data_sample``)."""
        batch = self.collate_fn([
            dict(inputs=it.clip, data_samples=it.data_sample) for it in inputs
        ])
        device = next(self.model.parameters()).device
        with torch.autocast(device.type, torch.bfloat16, enabled=self.bf16):
            samples = self.model.test_step(batch)
        preds = []
        for it, sample in zip(inputs, samples):
            preds.append(
                dict(
                    frame_index=it.frame_index,
                    mask=sample.pred_sem_seg.data[0].cpu().numpy(),
                    score=sample.seg_logits.data[0].float().cpu().numpy()
                    if return_scores else None,
                    frame=it.frame,
                    data_sample=sample))
        return preds

    def visualize(self,
                  inputs: List[ClipItem],
                  preds: List[Dict],
                  return_vis: bool = False,
                  min_size: int = 320) -> Optional[List[np.ndarray]]:
        """The query and each mask drawn on its original frame (with
        ``return_vis``)."""
        if not return_vis:
            return None
        from mmcsted.visualization import overlay_query_mask
        return [
            overlay_query_mask(
                p['frame'],
                p['mask'],
                p['data_sample'].query,
                min_size=min_size) for p in preds
        ]

    def postprocess(self,
                    preds: List[Dict],
                    visualization: Optional[List[np.ndarray]] = None,
                    return_datasamples: bool = False,
                    return_frames: bool = False) -> List[Dict]:
        """One result dict per frame (see :meth:`stream`);
        ``return_datasamples`` adds the model's ``data_sample``."""
        out = []
        for i, p in enumerate(preds):
            r = dict(
                frame_index=p['frame_index'], mask=p['mask'], score=p['score'])
            if return_frames:
                r['frame'] = p['frame']
            if visualization is not None:
                r['visualization'] = visualization[i]
            if return_datasamples:
                r['data_sample'] = p['data_sample']
            out.append(r)
        return out


def iter_inference(model: nn.Module, video, query: str,
                   **kwargs) -> Iterator[Dict]:
    """Segment ``query``'s actor frame by frame in ``video`` (a file, a
    frame folder, a (T, H, W, 3) RGB array or a ``FrameReader``) with
    ``model`` (from :func:`init_model`); yields, in ascending frame order,
    ``dict(frame_index, mask, score[, frame])`` as soon as each batch is done
    (:meth:`VideoActorSegInferencer.stream`; ``kwargs``: docs/get_started.md,
    "Inference from Python")."""
    yield from VideoActorSegInferencer(model).stream(video, query, **kwargs)


def inference_video(model: nn.Module, video, query: str,
                    **kwargs) -> VideoSegResult:
    """Segment the actor ``query`` names in a video (the arguments of
    :func:`iter_inference`); returns a :class:`VideoSegResult` with a mask
    and a score map per requested frame at the frame's original size."""
    return VideoActorSegInferencer(model)(video, query, **kwargs)
