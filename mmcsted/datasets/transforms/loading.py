"""Opening videos, choosing the clip, decoding frames, loading actor masks.

Keys and the ``on_error`` policy (``'auto'``, ``'raise'``, ``'skip'``):
docs/dataset_prepare.md, "Transforms".
"""
import logging
from typing import Dict, Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmengine.logging import print_log

from mmcsted.registry import TRANSFORMS
from mmcsted.utils.misc import check_choice
from mmcsted.utils.video_io import (IMAGE_BACKENDS, ArrayFrameReader,
                                    join_path, open_video_file, read_image)
from ..base import MASK_READERS
from ..clip_sampling import CLIP_MODES, sample_clip
from ..utils import ArgsRepr, count_numbered, list_names


class DataLoadError(RuntimeError):
    """A sample's file could not be read; the message names the file."""


class _OnError:
    """The ``on_error`` policy shared by the loading transforms."""

    on_error = 'auto'
    num_skipped = 0

    def _check_policy(self, on_error: str) -> str:
        check_choice('on_error', on_error, ('auto', 'raise', 'skip'))
        return on_error

    def _fail(self, results: Dict, msg: str) -> None:
        mode = self.on_error
        if mode == 'auto':
            mode = 'raise' if results.get('test_mode', False) else 'skip'
        where = (f'sample {results.get("sample_idx")} (video '
                 f'{results.get("video_id")}, '
                 f'frame {results.get("frame_id")})')
        if mode == 'raise':
            raise DataLoadError(f'{where}: {msg}')
        self.num_skipped += 1
        print_log(
            f'{type(self).__name__}: skipped {where}: {msg} '
            f'[{self.num_skipped} skipped by this transform in this process]',
            logger='current',
            level=logging.WARNING)
        return None


def _video_name(results: Dict) -> str:
    # inference names frames read from a folder or an array by video_id
    return (results.get('video_path') or results.get('frame_dir')
            or results.get('video_id') or '?')


def _close_reader(results: Dict) -> None:
    reader = results.pop('video_reader', None)
    if reader is not None:
        reader.close()


class _CachedFrameReader(ArrayFrameReader):
    """Frames of :class:`VideoInit`'s cache, copied on reading: a transform
    that changes its clip in place must not change the cache."""

    def read(self, index: int) -> np.ndarray:
        return super().read(index).copy()


@TRANSFORMS.register_module()
class VideoInit(_OnError, ArgsRepr, BaseTransform):
    """Open a sample's video (``video_path``) or frame folder (``frame_dir``)
    and count its frames: ``num_frames``, ``video_reader``.

    Args:
        backend: ``'decord'`` (PyAV where decord fails) or ``'pyav'``.
        num_threads: decord decoding threads.
        on_error: ``'auto'``, ``'raise'`` or ``'skip'``.
        backend_args: the :mod:`mmengine.fileio` backend of the files.
        cache_frames: decode each video file once per process and keep
            its frames in memory (a small dataset read for many epochs,
            e.g. the synthetic benchmark: decoding was most of its loading
            time); the clip's frames are the same.
    """

    repr_args = ('backend', 'num_threads', 'on_error', 'cache_frames')

    def __init__(self,
                 backend: str = 'decord',
                 num_threads: int = 1,
                 on_error: str = 'auto',
                 backend_args: Optional[dict] = None,
                 cache_frames: bool = False):
        check_choice('backend', backend, ('decord', 'pyav'))
        self.backend = backend
        self.num_threads = num_threads
        self.on_error = self._check_policy(on_error)
        self.backend_args = backend_args
        self.cache_frames = cache_frames
        self._frames = {}  # video path -> its decoded (T, H, W, 3) frames

    def _count_frames(self, results: Dict, frame_dir: str) -> Optional[int]:
        tmpl = results.get('filename_tmpl', '{:05d}.jpg')
        try:
            names = set(list_names(frame_dir, backend_args=self.backend_args))
        except Exception as e:
            return self._fail(results, f'cannot list {frame_dir}: {e}')
        n = count_numbered(names, tmpl)
        # a hole in the numbering is not the end of the video
        later = [
            k for k in range(n + 2, n + 2 + len(names))
            if tmpl.format(k) in names
        ]
        if later:
            return self._fail(
                results, f'frame folder {frame_dir} has a gap: '
                f'{tmpl.format(n + 1)} is missing but '
                f'{tmpl.format(later[0])} exists')
        return n

    def _open_video(self, results: Dict, video_path: str):
        backends = ('decord',
                    'pyav') if self.backend == 'decord' else ('pyav', )
        try:
            return open_video_file(
                video_path,
                backends,
                self.backend_args,
                probe=False,
                num_threads=self.num_threads)
        except FileNotFoundError:
            return self._fail(results, f'video file missing: {video_path}')
        except Exception as e:
            return self._fail(
                results, f'corrupt or unreadable video {video_path}: '
                f'{type(e).__name__}: {str(e).strip()[:200]}')

    def _open_cached(self, results: Dict, video_path: str):
        frames = self._frames.get(video_path)
        if frames is None:
            reader = self._open_video(results, video_path)
            if reader is None:
                return None
            try:
                frames = np.stack([
                    frame
                    for _, frame in reader.iter_frames(range(len(reader)))
                ])
            except Exception as e:
                return self._fail(
                    results, f'cannot decode {video_path}: '
                    f'{type(e).__name__}: {str(e).strip()[:200]}')
            finally:
                reader.close()
            frames.setflags(write=False)
            self._frames[video_path] = frames
        return _CachedFrameReader(frames, name=video_path)

    def transform(self, results: Dict) -> Optional[Dict]:
        video_path = results.get('video_path')
        frame_dir = results.get('frame_dir')
        if frame_dir and results.get('frame_names'):
            # a listed frame that is missing fails at decoding, naming it
            n = len(results['frame_names'])
            results['video_reader'] = None
        elif frame_dir:
            n = self._count_frames(results, frame_dir)
            if n is None:
                return None
            results['video_reader'] = None
        elif video_path:
            reader = (
                self._open_cached(results, video_path) if self.cache_frames
                else self._open_video(results, video_path))
            if reader is None:
                return None
            n = reader.num_frames
            results['video_reader'] = reader
        else:
            raise KeyError('VideoInit needs "video_path" or "frame_dir" in '
                           'the results dict')
        if results.get('max_frames'):
            n = min(n, int(results['max_frames']))
        frame_id = int(results['frame_id'])
        if not 1 <= frame_id <= n:
            _close_reader(results)
            return self._fail(
                results, f'{_video_name(results)} has {n} frames but the '
                f'target frame is {frame_id} (truncated video?)')
        results['num_frames'] = n
        return results


@TRANSFORMS.register_module()
class SampleClipAroundFrame(ArgsRepr, BaseTransform):
    """Choose the ``clip_len`` frames around the target frame ``frame_id``:
    ``frame_inds`` (1-based), ``target_index``, ``clamped``.

    ``mode``: ``'centred'`` (:func:`~mmcsted.datasets.clip_sampling.
    clip_around_frame`) or ``'cstm'`` (the authors' test clip,
    :func:`~mmcsted.datasets.clip_sampling.cstm_clip`; clamped clips are
    counted in ``num_clamped`` and logged).
    """

    repr_args = ('clip_len', 'frame_interval', 'mode')

    def __init__(self,
                 clip_len: int = 8,
                 frame_interval: int = 1,
                 mode: str = 'centred'):
        if clip_len < 1 or frame_interval < 1:
            raise ValueError('clip_len and frame_interval must be >= 1')
        check_choice('mode', mode, CLIP_MODES)
        self.clip_len = clip_len
        self.frame_interval = frame_interval
        self.mode = mode
        self.num_clamped = 0

    def transform(self, results: Dict) -> Dict:
        num_frames = results.get('num_frames', results.get('total_frames'))
        if num_frames is None:
            raise KeyError('SampleClipAroundFrame needs "num_frames" (from '
                           'VideoInit) or "total_frames"')
        frames, target_index, clamped = sample_clip(
            int(results['frame_id']), int(num_frames), self.clip_len,
            self.frame_interval, self.mode)
        if clamped and self.mode == 'cstm':
            self.num_clamped += 1
            print_log(
                f'CSTM clip of {_video_name(results)} frame '
                f'{results["frame_id"]}: frames past the last one '
                f'({num_frames}) repeat it: {frames} (CSTM would fail '
                f'on a missing JPEG here) [{self.num_clamped} such clips in '
                'this process]',
                logger='current',
                level=logging.WARNING)
        results['frame_inds'] = frames
        results['target_index'] = target_index
        results['clamped'] = clamped
        results['clip_len'] = self.clip_len
        results['frame_interval'] = self.frame_interval
        results['clip_mode'] = self.mode
        return results


@TRANSFORMS.register_module()
class VideoDecode(_OnError, BaseTransform):
    """Decode the clip's frames ``frame_inds``: ``imgs`` (RGB uint8),
    ``ori_shape``, ``img_shape``.

    Args:
        on_error: ``'auto'``, ``'raise'`` or ``'skip'``.
        image_backend: ``'cv2'`` or ``'pillow'`` (the authors' reader: a
            truncated JPEG is an error) for the images of a ``frame_dir``.
        backend_args: the :mod:`mmengine.fileio` backend of a ``frame_dir``.
    """

    def __init__(self,
                 on_error: str = 'auto',
                 image_backend: str = 'cv2',
                 backend_args: Optional[dict] = None):
        self.on_error = self._check_policy(on_error)
        self.backend_args = backend_args
        check_choice('image_backend', image_backend, IMAGE_BACKENDS)
        self.image_backend = image_backend

    def _read_frames(self, results: Dict, wanted):
        frame_dir = results.get('frame_dir')
        if frame_dir:
            names = results.get('frame_names')
            tmpl = results.get('filename_tmpl', '{:05d}.jpg')
            return {
                f:
                read_image(
                    join_path(frame_dir,
                              names[f - 1] if names else tmpl.format(f),
                              self.backend_args), self.image_backend,
                    self.backend_args)
                for f in wanted
            }
        reader = results.get('video_reader')
        if reader is None:  # a results dict made without VideoInit
            reader = open_video_file(
                results['video_path'], ('decord', 'pyav'),
                self.backend_args,
                probe=False)
            results['video_reader'] = reader
        return {
            i + 1: frame
            for i, frame in reader.iter_frames([f - 1 for f in wanted])
        }

    def transform(self, results: Dict) -> Optional[Dict]:
        wanted = sorted(set(int(f) for f in results['frame_inds']))
        try:
            frames = self._read_frames(results, wanted)
        except Exception as e:
            _close_reader(results)
            return self._fail(
                results, f'cannot decode {_video_name(results)}: '
                f'{type(e).__name__}: {str(e).strip()[:200]}')
        _close_reader(results)
        return fill_clip(results,
                         [frames[int(f)] for f in results['frame_inds']],
                         self._fail)


def fill_clip(results: Dict, imgs, fail) -> Optional[Dict]:
    """Put a clip's frames into ``results`` (``imgs``, ``ori_shape``,
    ``img_shape``); frames of several shapes go to ``fail(results, msg)``.
    """
    shapes = {img.shape for img in imgs}
    if len(shapes) != 1 or imgs[0].ndim != 3 or imgs[0].shape[2] != 3:
        return fail(
            results, f'{_video_name(results)}: frames of shapes '
            f'{sorted(shapes)}, expected one H x W x 3 shape')
    results['imgs'] = [np.ascontiguousarray(i, dtype=np.uint8) for i in imgs]
    h, w = imgs[0].shape[:2]
    results['ori_shape'] = (h, w)
    results['img_shape'] = (h, w)
    return results


@TRANSFORMS.register_module()
class LoadActorMask(_OnError, BaseTransform):
    """Load the target frame's mask ``gt_sem_seg`` (and ``void_mask``) with the
    reader of the sample's ``mask_format``
    (:data:`~mmcsted.datasets.base.MASK_READERS`; ``'none'``: no mask).

    The mask stays at the original frame size, checked against ``ori_shape``;
    where to place it in a pipeline: docs/dataset_prepare.md.

    Args:
        on_error: ``'auto'``, ``'raise'`` or ``'skip'``.
        backend_args: the :mod:`mmengine.fileio` backend of the mask files.
    """

    def __init__(self,
                 on_error: str = 'auto',
                 backend_args: Optional[dict] = None):
        self.on_error = self._check_policy(on_error)
        self.backend_args = backend_args

    def transform(self, results: Dict) -> Optional[Dict]:
        path = results.get('mask_file')
        fmt = results.get('mask_format')
        if fmt == 'none':
            return results
        if path and not fileio.exists(path, backend_args=self.backend_args):
            return self._fail(results, f'mask file missing: {path}')
        where = path or f'the RLEs of {_video_name(results)}'
        try:
            if fmt not in MASK_READERS:
                raise ValueError(f'unknown mask_format {fmt!r} (known: '
                                 f'{sorted(MASK_READERS)})')
            mask, void = MASK_READERS[fmt](results, self.backend_args)
        except Exception as e:
            return self._fail(
                results, f'cannot load the mask from {where}: '
                f'{type(e).__name__}: {e}')
        ori = results.get('ori_shape')
        if ori is not None and tuple(mask.shape) != tuple(ori[:2]):
            return self._fail(
                results, f'mask {where} is {mask.shape[0]} x {mask.shape[1]} '
                f'(H x W after un-transposing) but the frames of '
                f'{_video_name(results)} are {ori[0]} x {ori[1]}')
        results['gt_sem_seg'] = mask
        if void is not None:
            results['void_mask'] = void
        return results
