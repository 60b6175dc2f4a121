"""Clips around ascending target frames of one streaming frame source,
each frame decoded and resized once into a sliding cache
(:class:`ClipStream`), each clip then through the rest of the test pipeline
(:func:`~.pipeline.inference_pipeline`)."""
import logging
import queue
import threading
from collections import deque
from dataclasses import dataclass
from typing import Dict, Iterable, Iterator, List, Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import Compose
from mmengine.logging import print_log

from mmcsted.datasets.transforms.loading import DataLoadError, fill_clip
from mmcsted.registry import TRANSFORMS
from mmcsted.structures import ActorSegDataSample
from mmcsted.utils.video_io import FrameReader
from .pipeline import RESIZE_TRANSFORMS

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


def split_pipeline(transforms: Sequence[dict]):
    """The inference pipeline's transforms, built from mmcsted's registry
    (whatever the default scope), as four
    :class:`~mmengine.dataset.Compose`: the clip-sampling steps,
    ``ClipFromFrameCache``, the frame-wise steps that directly follow it (the
    resizes, ``RESIZE_TRANSFORMS``) and the rest."""
    built = [
        TRANSFORMS.build(t) if isinstance(t, dict) else t for t in transforms
    ]
    names = [type(t).__name__ for t in built]
    if 'ClipFromFrameCache' not in names:
        raise ValueError(f'an inference pipeline takes its frames from the '
                         f'frame cache (ClipFromFrameCache), got {names}')
    cut = names.index('ClipFromFrameCache')
    end = cut + 1
    while end < len(built) and names[end] in RESIZE_TRANSFORMS:
        end += 1
    return (Compose(built[:cut]), Compose(built[cut:cut + 1]),
            Compose(built[cut + 1:end]), Compose(built[end:]))


class ClipStream:
    """Batches of packed clips around ascending target frames of a
    :class:`FrameReader`, decoding each frame once, in ascending order, into
    a bounded cache (docs/get_started.md, "Inference from Python").

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
        self.target_set = set(self.targets)
        self.batch_size = batch_size
        self.keep_frames = keep_frames
        self.metainfo = dict(metainfo or {})
        self.sample, self.gather, self.frame_wise, self.process = \
            split_pipeline(transforms)
        # 0-based frame -> (the frame after the frame-wise steps, the keys
        # they set); the original target frames with keep_frames
        self.cache: Dict[int, np.ndarray] = {}
        self.frame_keys: Dict[int, dict] = {}
        self.originals: Dict[int, np.ndarray] = {}
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
        # 0-based frames the clip needs (CSTM's clip may leave out
        # its target frame: with keep_frames it is decoded too)
        results['needs'] = sorted({i - 1
                                   for i in results['frame_inds']}
                                  | ({target} if self.keep_frames else set()))
        return results

    def _decode(self, wanted: List[int]) -> None:
        for i, frame in self.reader.iter_frames(wanted):
            if self.keep_frames and i in self.target_set:
                self.originals[i] = frame
            results = self.frame_wise(
                fill_clip({'video_id': self.reader.name}, [frame], _raise))
            results.pop('video_id')
            self.cache[i] = results.pop('imgs')[0]
            self.frame_keys[i] = results
            self.frames_decoded += 1
            self.peak_cache = max(self.peak_cache, len(self.cache))

    def _item(self, target: int, results: dict) -> ClipItem:
        results.pop('needs')
        results['frame_cache'] = self.cache
        results = self.gather(results)
        keys = [self.frame_keys[int(f) - 1] for f in results['frame_inds']]
        if any(k['ori_shape'] != keys[0]['ori_shape'] for k in keys):
            shapes = sorted({k['ori_shape'] for k in keys})
            raise DataLoadError(f'{self.reader.name}: frames of shapes '
                                f'{shapes}, expected one H x W x 3 shape')
        results.update(keys[0])  # the frames' own shapes, not the cache's
        packed = self.process(results)
        item = ClipItem(
            frame_index=target,
            clip=packed['inputs'],
            data_sample=packed['data_samples'],
            frame=self.originals.get(target) if self.keep_frames else None)
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
                del self.cache[i], self.frame_keys[i]
            for i in [i for i in self.originals if i not in keep]:
                del self.originals[i]
            yield items


def _raise(results: Dict, msg: str):
    raise DataLoadError(msg)


def prefetched(items: Iterable, depth: int) -> Iterator:
    """The items of ``items`` in order, produced up to ``depth`` ahead by a
    background thread, so that decoding and the pipeline (OpenCV and the
    video decoders release the GIL) overlap the model. An exception there
    is raised here, at the item it replaced; closing this generator stops
    the thread (after the item it is making) before it returns."""
    if depth < 1:
        yield from items
        return
    ready = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(entry) -> bool:
        while not stop.is_set():
            try:
                ready.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((end, None))
        except BaseException as error:  # raised again in the consumer
            put((end, error))

    worker = threading.Thread(
        target=produce, name='mmcsted-prefetch', daemon=True)
    worker.start()
    try:
        while True:
            item, error = ready.get()
            if item is end:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        worker.join()
