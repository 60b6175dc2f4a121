"""Opening videos, choosing the clip, decoding frames, loading actor masks.

A test pipeline::

    VideoInit -> SampleClipAroundFrame -> VideoDecode -> ResizePadSquare
    -> LoadActorMask (original resolution) -> PackActorSegInputs

Broken input at load time (a corrupt or truncated video, an unreadable mask)
follows ``on_error``: ``'raise'`` a :class:`DataLoadError` naming the file,
``'skip'`` (log it, count it, return None so that mmengine's ``BaseDataset``
fetches another sample), or ``'auto'`` (default): raise in test mode, skip in
training. The dataset puts ``test_mode`` into the results dict.
"""
import logging
import os.path as osp
from typing import Dict, Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmengine.logging import print_log

from mmcsted.registry import TRANSFORMS
from mmcsted.utils.video_io import (IMAGE_BACKENDS, join_path, open_video_file,
                                    read_image)
from ..base import MASK_READERS
from ..clip_sampling import CLIP_MODES, sample_clip


class DataLoadError(RuntimeError):
    """A sample's file could not be read; the message names the file."""


class _OnError:
    """Error policy shared by the loading transforms (see module doc)."""

    on_error = 'auto'
    num_skipped = 0

    def _check_policy(self, on_error: str) -> str:
        if on_error not in ('auto', 'raise', 'skip'):
            raise ValueError("on_error must be 'auto', 'raise' or 'skip', "
                             f'got {on_error!r}')
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
    return results.get('video_path') or results.get('frame_dir') or '?'


def _close_reader(results: Dict) -> None:
    reader = results.pop('video_reader', None)
    if reader is not None:
        reader.close()


@TRANSFORMS.register_module()
class VideoInit(_OnError, BaseTransform):
    """Open a sample's video and count its frames (through the video layer
    :mod:`mmcsted.utils.video_io`).

    Required keys: ``video_path`` (an mp4) or ``frame_dir`` (+
    ``filename_tmpl``, default ``'{:05d}.jpg'``, or ``frame_names``: the
    listed frames in order, frame ``k`` being ``frame_names[k - 1]``, as
    Ref-YouTube-VOS / MeViS / DAVIS list theirs), ``frame_id``; optional
    ``max_frames`` (use only the first frames, e.g. J-HMDB frames with a mask).

    Added keys: ``num_frames`` (frames available), ``video_reader`` (a
    :class:`~mmcsted.utils.video_io.FrameReader`; only for videos).

    Args:
        backend: ``'decord'`` (PyAV where decord fails) or ``'pyav'`` for
            mp4 files.
        num_threads: decord decoding threads.
        on_error: see the module doc.
        backend_args: the :mod:`mmengine.fileio` backend of the files.
    """

    def __init__(self,
                 backend: str = 'decord',
                 num_threads: int = 1,
                 on_error: str = 'auto',
                 backend_args: Optional[dict] = None):
        if backend not in ('decord', 'pyav'):
            raise ValueError(f"backend must be 'decord' or 'pyav', got "
                             f'{backend!r}')
        self.backend = backend
        self.num_threads = num_threads
        self.on_error = self._check_policy(on_error)
        self.backend_args = backend_args

    def _count_frames(self, results: Dict, frame_dir: str) -> Optional[int]:
        tmpl = results.get('filename_tmpl', '{:05d}.jpg')
        try:
            names = set(
                fileio.list_dir_or_file(
                    frame_dir, list_dir=False, backend_args=self.backend_args))
        except Exception as e:
            return self._fail(results, f'cannot list {frame_dir}: {e}')
        n = 0
        while tmpl.format(n + 1) in names:
            n += 1
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
            reader = self._open_video(results, video_path)
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

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(backend={self.backend!r}, '
                f'num_threads={self.num_threads}, on_error={self.on_error!r})')


@TRANSFORMS.register_module()
class SampleClipAroundFrame(BaseTransform):
    """Choose the ``clip_len`` frames around the target frame.

    ``mode='centred'`` (default): frame ``i`` = ``frame_id + (i - clip_len //
    2) * frame_interval``, clamped to ``[1, num_frames]`` (see
    :func:`~mmcsted.datasets.clip_sampling.clip_around_frame`); the target
    is always at index ``clip_len // 2``.

    ``mode='release'``: the authors' released test clip (see
    :func:`~mmcsted.datasets.clip_sampling.release_clip`): ``start =
    max(1, frame_id - (clip_len // 2) * frame_interval)``, frames ``start,
    start + frame_interval, ...``; for ``clip_len=8, frame_interval=2``:
    ``max(1, f - 8), ..., + 14``, the spatial frame (index 4) being ``f``
    when ``f > 8`` and frame 9 otherwise. Frames past the video's end (where
    the release's loader would fail on a missing JPEG) are clamped to the
    last frame; each such clip is counted (``num_clamped``) and logged.

    Required keys: ``frame_id`` (1-based), ``num_frames`` (else
    ``total_frames``).

    Added keys: ``frame_inds`` (list of 1-based frame numbers),
    ``target_index`` (= ``clip_len // 2``: the frame the spatial encoder
    takes), ``clamped`` (bool), ``clip_len``, ``frame_interval``,
    ``clip_mode``.
    """

    def __init__(self,
                 clip_len: int = 8,
                 frame_interval: int = 1,
                 mode: str = 'centred'):
        if clip_len < 1 or frame_interval < 1:
            raise ValueError('clip_len and frame_interval must be >= 1')
        if mode not in CLIP_MODES:
            raise ValueError(f'mode must be one of {CLIP_MODES}, got '
                             f'{mode!r}')
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
        if clamped and self.mode == 'release':
            self.num_clamped += 1
            print_log(
                f'release clip of {_video_name(results)} frame '
                f'{results["frame_id"]}: frames past the last one '
                f'({num_frames}) repeat it: {frames} (the release would fail '
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

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(clip_len={self.clip_len}, '
                f'frame_interval={self.frame_interval}, mode={self.mode!r})')


@TRANSFORMS.register_module()
class VideoDecode(_OnError, BaseTransform):
    """Decode the clip's frames.

    Required keys: ``frame_inds`` (1-based), ``video_reader`` / ``frame_dir``
    (+ ``filename_tmpl`` or ``frame_names``, see :class:`VideoInit`).

    Added keys: ``imgs`` (list of H x W x 3 RGB uint8 arrays), ``ori_shape``
    and ``img_shape`` (H, W). Removes ``video_reader``.

    Args:
        on_error: see the module doc.
        image_backend: how frame images of a ``frame_dir`` are decoded:
            ``'cv2'`` (default, ``cv2.imread``) or ``'pillow'``
            (``Image.open(path).convert('RGB')``, as the authors' test code
            reads its JPEG frames; a truncated JPEG is an error there, while
            OpenCV may decode what it can). Videos are decoded as before.
        backend_args: the :mod:`mmengine.fileio` backend of a ``frame_dir``.
    """

    def __init__(self,
                 on_error: str = 'auto',
                 image_backend: str = 'cv2',
                 backend_args: Optional[dict] = None):
        self.on_error = self._check_policy(on_error)
        self.backend_args = backend_args
        if image_backend not in IMAGE_BACKENDS:
            raise ValueError(f'image_backend must be one of {IMAGE_BACKENDS},'
                             f' got {image_backend!r}')
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
    """Put a clip's decoded frames into ``results`` (``imgs``, ``ori_shape``,
    ``img_shape``): what :class:`VideoDecode` and the inference's
    :class:`~mmcsted.apis.inference.streaming.ClipFromFrameCache` add;
    frames of several shapes go to ``fail(results, msg)``."""
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
class ClipFromFrameCache(BaseTransform):
    """The clip's frames from frames decoded beforehand: what inference runs
    in place of ``VideoInit`` / ``VideoDecode`` (see
    :mod:`mmcsted.apis.inference`), which decodes a video once, in
    ascending order, into a sliding cache shared by the clips.

    Required keys: ``frame_inds`` (1-based), ``frame_cache`` (a mapping of
    0-based frame index to H x W x 3 RGB uint8 frame).

    Added keys: as :class:`VideoDecode` (``imgs``, ``ori_shape``,
    ``img_shape``). Removes ``frame_cache``.
    """

    def transform(self, results: Dict) -> Dict:
        cache = results.pop('frame_cache')
        imgs = [cache[int(f) - 1] for f in results['frame_inds']]
        return fill_clip(results, imgs, _raise)


def _raise(results: Dict, msg: str):
    raise DataLoadError(msg)


@TRANSFORMS.register_module()
class LoadActorMask(_OnError, BaseTransform):
    """Load the target frame's mask of the queried actor(s), with the reader
    that the sample's dataset registered for its ``mask_format``
    (:data:`~mmcsted.datasets.base.MASK_READERS`).

    Required keys: ``mask_format`` (else from the file extension) and

    * ``'a2d_h5'``: ``mask_file``, ``instance_id`` (A2D Sentences);
    * ``'jhmdb_mat'``: ``mask_file``, ``frame_id`` (J-HMDB Sentences);
    * ``'index_png'``: ``mask_file`` (a palette / single-channel PNG whose
      pixel is the object id, 0 = background), ``object_ids`` (the
      expression's objects: their union is the target), optional
      ``void_label`` (DAVIS: 255, pixels scored by no one) -- Ref-YouTube-VOS,
      DAVIS 2017;
    * ``'coco_rle'``: ``mask_rles`` (one COCO RLE dict or None per object of
      the expression; None = the object is not in this frame; their union is
      the target, all None = an empty target) -- MeViS ``mask_dict.json``;
    * ``'none'``: a split without ground truth (Ref-YouTube-VOS valid, MeViS
      valid: scored by their servers); the results pass through unchanged.

    ``ori_shape`` if present is checked against the mask (and gives the size
    of an empty ``coco_rle`` target).

    Added keys: ``gt_sem_seg`` (H x W uint8 {0, 1} at the ORIGINAL frame size:
    place this transform after the resize in test pipelines so that
    evaluation is at the original resolution, before it in training
    pipelines so that the mask follows the geometric transforms);
    ``void_mask`` (H x W uint8 {0, 1}) for ``index_png`` with a
    ``void_label``.

    Args:
        on_error: see the module doc.
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
        if not fmt:
            fmt = {
                '.h5': 'a2d_h5',
                '.png': 'index_png'
            }.get(osp.splitext(path or '')[1].lower(), 'jhmdb_mat')
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
