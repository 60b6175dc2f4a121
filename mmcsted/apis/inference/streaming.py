"""Clips around ascending target frames of one streaming frame source.

Each requested frame is the target of its own clip, chosen by the test
pipeline's ``SampleClipAroundFrame``. Frames are decoded once, in ascending
order, into a sliding cache that only holds the frames still needed by the
current and later batches, so memory does not grow with the video's length;
each clip then runs through the rest of the test pipeline
(:func:`~.pipeline.inference_pipeline`).
"""
import logging
from collections import deque
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import Compose
from mmengine.logging import print_log

from mmcsted.registry import TRANSFORMS
from mmcsted.structures import ActorSegDataSample
from mmcsted.utils.video_io import FrameReader

#: A resized frame whose short side is below this many pixels holds almost
#: nothing for the model: its deepest features have a stride of 32, so the
#: frame covers under half a cell of them across that side (a 4000 x 30
#: video padded to 64 x 64 is 64 x 1 px) and the masks are mostly guessed.
MIN_SHORT_SIDE = 16


@dataclass
class ClipItem:
    """One target frame's clip, as the test pipeline packs it."""
    frame_index: int  # 0-based
    clip: torch.Tensor  # uint8 (C, T, H, W): the packed ``inputs``
    data_sample: ActorSegDataSample
    frame: Optional[np.ndarray] = None  # original RGB target frame

    @property
    def frame_inds(self) -> List[int]:  # 0-based, clamped
        return [i - 1 for i in self.data_sample.frame_inds]

    @property
    def img_shape(self) -> tuple:
        return tuple(self.data_sample.img_shape)

    @property
    def ori_shape(self) -> tuple:
        return tuple(self.data_sample.ori_shape)

    @property
    def clamped(self) -> bool:
        return bool(self.data_sample.clamped)


def split_pipeline(transforms: Sequence[dict]):
    """(the clip-sampling steps, the steps from ``ClipFromFrameCache`` on),
    each a :class:`~mmengine.dataset.Compose` of transforms built from
    mmcsted's registry (whatever the default scope)."""
    built = [
        TRANSFORMS.build(t) if isinstance(t, dict) else t for t in transforms
    ]
    names = [type(t).__name__ for t in built]
    if 'ClipFromFrameCache' not in names:
        raise ValueError(f'an inference pipeline takes its frames from the '
                         f'frame cache (ClipFromFrameCache), got {names}')
    cut = names.index('ClipFromFrameCache')
    return Compose(built[:cut]), Compose(built[cut:])


class ClipStream:
    """Batches of packed clips around ascending target frames of a
    :class:`FrameReader`, decoding each frame once, in ascending order.

    Each target's clip is sampled once, a little ahead: when a batch's
    frames are decoded up to frame ``hi``, the later targets whose clips
    reach down to ``hi`` are sampled too and their frames up to ``hi``
    decoded in the same pass (clips start no earlier for later targets, in
    both clip modes). The cache holds the frames that the current batch or
    those sampled targets need, and nothing else; with every frame requested
    it holds at most ``(clip_len - 1) * frame_interval + batch_size`` frames
    (``peak_cache`` records the largest size it reached).

    Args:
        reader: the frames.
        targets: strictly ascending 0-based target frames.
        transforms: the inference pipeline's transforms.
        batch_size: clips per batch.
        keep_frames: give each item its original target frame.
        metainfo: added to every sample's results (e.g. ``query``).
    """

    def __init__(self,
                 reader: FrameReader,
                 targets: Sequence[int],
                 transforms: Sequence[dict],
                 batch_size: int = 8,
                 keep_frames: bool = False,
                 metainfo: Optional[dict] = None):
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        self.reader = reader
        self.targets = list(targets)
        if any(b <= a for a, b in zip(self.targets, self.targets[1:])):
            raise ValueError('targets must be strictly ascending')
        self.batch_size = batch_size
        self.keep_frames = keep_frames
        self.metainfo = dict(metainfo or {})
        self.sample, self.process = split_pipeline(transforms)
        self.cache: Dict[int, np.ndarray] = {}
        self.peak_cache = 0
        self.frames_decoded = 0
        self.warned_small = False

    def __len__(self) -> int:
        return -(-len(self.targets) // self.batch_size)

    def _sampled(self, target: int) -> dict:
        results = dict(
            self.metainfo,
            frame_id=target + 1,
            num_frames=self.reader.num_frames,
            video_id=self.reader.name,
            test_mode=True)
        results = self.sample(results)
        # 0-based frames the clip needs (the release's clip may leave out
        # its target frame: with keep_frames it is decoded too)
        results['needs'] = sorted({i - 1
                                   for i in results['frame_inds']}
                                  | ({target} if self.keep_frames else set()))
        return results

    def _decode(self, wanted: List[int]) -> None:
        for i, frame in self.reader.iter_frames(wanted):
            self.cache[i] = frame
            self.frames_decoded += 1
            self.peak_cache = max(self.peak_cache, len(self.cache))

    def _item(self, target: int, results: dict) -> ClipItem:
        results.pop('needs')
        results['frame_cache'] = self.cache
        packed = self.process(results)
        item = ClipItem(
            frame_index=target,
            clip=packed['inputs'],
            data_sample=packed['data_samples'],
            frame=self.cache.get(target) if self.keep_frames else None)
        self._check_size(item)
        return item

    def _check_size(self, item: ClipItem) -> None:
        if self.warned_small or min(item.img_shape) >= MIN_SHORT_SIDE:
            return
        self.warned_small = True
        print_log(
            f'{self.reader.name}: frames of {item.ori_shape[0]} x '
            f'{item.ori_shape[1]} px reach the model as {item.img_shape[0]} '
            f'x {item.img_shape[1]} px (short side under {MIN_SHORT_SIDE} '
            'px): the masks will be poor; crop the video to a less extreme '
            'aspect ratio or raise the input size',
            logger='current',
            level=logging.WARNING)

    def __iter__(self) -> Iterator[List[ClipItem]]:
        planned = deque()  # (target, sampled results), not run yet
        todo = iter(self.targets)
        upcoming = next(todo, None)
        next_read = 0
        while planned or upcoming is not None:
            while len(planned) < self.batch_size and upcoming is not None:
                planned.append((upcoming, self._sampled(upcoming)))
                upcoming = next(todo, None)
            batch = [
                planned.popleft()
                for _ in range(min(self.batch_size, len(planned)))
            ]
            hi = max(r['needs'][-1] for _, r in batch)
            # later targets whose clips reach down to hi
            while upcoming is not None and (not planned or
                                            planned[-1][1]['needs'][0] <= hi):
                planned.append((upcoming, self._sampled(upcoming)))
                upcoming = next(todo, None)
            wanted = sorted({
                i
                for _, r in batch + list(planned)
                for i in r['needs'] if next_read <= i <= hi
            })
            self._decode(wanted)
            next_read = max(next_read, hi + 1)
            items = [self._item(t, r) for t, r in batch]
            keep = {i for _, r in planned for i in r['needs']}
            for i in [i for i in self.cache if i not in keep]:
                del self.cache[i]
            yield items
