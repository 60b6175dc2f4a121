"""The one video-reading layer of mmcsted: RGB frames of a video file, a
folder of frame images or an array, read through :mod:`mmengine.fileio`, in
ascending order, never holding the decoded video (docs/get_started.md,
"Reading videos")."""
import io
import logging
import os
import re
from typing import Iterable, Iterator, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmaction.datasets.transforms import DecordDecode, DecordInit
from mmengine import fileio
from mmengine.logging import print_log

from .misc import check_choice

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')


class VideoReadError(RuntimeError):
    """A video or frame cannot be read; the message names the file."""


#: how frame images are decoded: OpenCV (``cv2.imdecode``, default) or Pillow
#: (``Image.open(...).convert('RGB')``, as the CSTED authors' test code reads
#: its JPEG frames; the two JPEG decoders may differ slightly).
IMAGE_BACKENDS = ('cv2', 'pillow')


def _get_bytes(path: str, what: str, backend_args: Optional[dict]) -> bytes:
    """The bytes of ``path`` through :mod:`mmengine.fileio`; a missing or
    unreadable file raises :class:`VideoReadError` naming it."""
    try:
        return fileio.get(path, backend_args=backend_args)
    except FileNotFoundError as e:
        raise VideoReadError(f'cannot read {what} {path} (missing)') from e
    except Exception as e:  # the storage backend's own errors
        raise VideoReadError(f'cannot read {what} {path} '
                             f'({type(e).__name__}: {e})') from e


def read_image(path: str,
               backend: str = 'cv2',
               backend_args: Optional[dict] = None) -> np.ndarray:
    """An image file (a frame) as H x W x 3 RGB uint8, read through
    :mod:`mmengine.fileio` and decoded by ``mmcv.imfrombytes``; a missing,
    unreadable or truncated file raises :class:`VideoReadError` naming it."""
    if backend not in IMAGE_BACKENDS:
        raise ValueError(f'image backend must be one of {IMAGE_BACKENDS}, '
                         f'got {backend!r}')
    data = _get_bytes(path, 'frame image', backend_args)
    try:  # pillow: UnidentifiedImageError, OSError('image file is
        # truncated ...'); cv2: an undecodable file gives None
        img = mmcv.imfrombytes(
            data, flag='color', channel_order='rgb', backend=backend)
    except Exception as e:
        raise VideoReadError(f'cannot read frame image {path} '
                             f'({type(e).__name__}: {e})') from e
    if img is None:
        raise VideoReadError(f'cannot read frame image {path} (unreadable)')
    return np.ascontiguousarray(img, dtype=np.uint8)


def read_index_png(path: str,
                   backend_args: Optional[dict] = None) -> np.ndarray:
    """The H x W object ids of an index PNG (palette 'P' or grey), decoded
    by ``mmcv.imfrombytes(flag='unchanged', backend='pillow')`` so that a
    palette PNG gives its indices, not colours; a colour PNG is an error."""
    data = _get_bytes(path, 'mask', backend_args)
    ids = mmcv.imfrombytes(data, flag='unchanged', backend='pillow')
    if ids.ndim != 2:
        raise ValueError(f'{path}: {ids.ndim}-D image of shape {ids.shape}, '
                         "expected an object-id PNG (palette 'P' or grey)")
    return ids


def read_bytes_io(path: str,
                  backend_args: Optional[dict] = None) -> io.BytesIO:
    """A file read through :mod:`mmengine.fileio` as an in-memory file, for
    readers that take a file object (``h5py.File``, ``scipy.io.loadmat``)."""
    return io.BytesIO(fileio.get(path, backend_args=backend_args))


def _isdir(path: str, backend_args: Optional[dict]) -> bool:
    try:
        return fileio.isdir(path, backend_args=backend_args)
    except (NotImplementedError, AttributeError):  # HTTP: no folders
        return False


def _exists(path: str, backend_args: Optional[dict]) -> bool:
    try:
        return fileio.exists(path, backend_args=backend_args)
    except (NotImplementedError, AttributeError):  # HTTP: get() tells
        return True


def join_path(folder: str,
              name: str,
              backend_args: Optional[dict] = None) -> str:
    """``folder/name`` as the folder's storage backend joins paths."""
    try:
        return fileio.join_path(folder, name, backend_args=backend_args)
    except (NotImplementedError, AttributeError):  # HTTP: a URL
        return folder.rstrip('/') + '/' + name


def _natural_key(name: str):
    return [int(t) if t.isdigit() else t for t in re.split(r'(\d+)', name)]


def _check_ascending(indices: Sequence[int], num_frames: int, name: str):
    if any(b <= a for a, b in zip(indices, indices[1:])):
        raise ValueError('frame indices must be strictly ascending')
    for i in indices:
        if not 0 <= i < num_frames:
            raise IndexError(f'frame {i} outside 0..{num_frames - 1} of '
                             f'{name}')


class FrameReader:
    """Base class: ``num_frames``, ``name`` and ascending-order access."""

    name = '<frames>'
    num_frames = 0
    frame_shape: Optional[Tuple[int, int]] = None

    def __len__(self) -> int:
        return self.num_frames

    def iter_frames(
            self, indices: Iterable[int]) -> Iterator[Tuple[int, np.ndarray]]:
        """Yield ``(index, frame)`` for the given ascending 0-based indices."""
        indices = [int(i) for i in indices]
        _check_ascending(indices, self.num_frames, self.name)
        for i in indices:
            yield i, self._check(self.read(i), i)

    def read(self, index: int) -> np.ndarray:
        raise NotImplementedError

    def _check(self, frame, index: int) -> np.ndarray:
        if frame is None or frame.ndim != 3 or frame.shape[2] != 3:
            raise VideoReadError(
                f'{self.name}: frame {index} is not an H x W x 3 image '
                f'(got {None if frame is None else frame.shape})')
        return np.ascontiguousarray(frame, dtype=np.uint8)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _check_array_frames(frames, name: str) -> Tuple[bool, bool]:
    """Refuse frames that would be read wrong without a word (bool, integers
    outside 0..255, floats outside [0, 1], no pixel); return whether float
    and uint16 frames are to be scaled (each logged)."""
    arrays = [frames] if isinstance(frames, np.ndarray) else list(frames)
    uint16 = False
    float_ranges = []  # (min, max) of each float frame with pixels
    for k, frame in enumerate(arrays):
        where = name if isinstance(frames, np.ndarray) else \
            f'{name} frame {k}'
        if not isinstance(frame, np.ndarray):
            raise TypeError(f'{where}: a frame is a numpy array, got '
                            f'{type(frame).__name__}')
        if frame.dtype == np.bool_:
            raise ValueError(
                f'{where}: bool frames are masks, not images: pass RGB '
                'uint8 frames (0..255)')
        if frame.ndim < 3 or 0 in frame.shape[-3:-1]:
            raise ValueError(f'{where}: frames must be H x W x 3 RGB images '
                             f'with pixels, got shape {frame.shape}')
        if frame.dtype == np.uint16:
            uint16 = True
        elif np.issubdtype(frame.dtype, np.floating) and frame.size:
            float_ranges.append((float(frame.min()), float(frame.max())))
        elif (np.issubdtype(frame.dtype, np.integer)
              and frame.dtype != np.uint8 and frame.size
              and (frame.min() < 0 or frame.max() > 255)):
            raise ValueError(
                f'{where}: {frame.dtype} frames with values in '
                f'[{frame.min()}, {frame.max()}]: pass RGB uint8 frames '
                '(0..255), uint16 (scaled) or floats in [0, 1]')
    if uint16:
        print_log(
            f'{name}: uint16 frames, scaled to 0..255 uint8', logger='current')
    if not all(0 <= lo and hi <= 1 for lo, hi in float_ranges):  # NaN too
        lo = min(r[0] for r in float_ranges)
        hi = max(r[1] for r in float_ranges)
        raise ValueError(
            f'float frames must lie in [0, 1], got values in [{lo:g}, '
            f'{hi:g}]: pass uint8 RGB frames (0..255) or floats in [0, 1]')
    if float_ranges:
        print_log(
            f'{name}: float frames in [0, 1], scaled to 0..255 uint8',
            logger='current')
    return bool(float_ranges), uint16


class ArrayFrameReader(FrameReader):
    """Frames of a (T, H, W, 3) RGB array (or a list of (H, W, 3) arrays):
    uint8 as they are, floats in [0, 1] and uint16 scaled, anything else
    refused (docs/get_started.md, "Reading videos")."""

    def __init__(self,
                 frames: Union[np.ndarray, Sequence[np.ndarray]],
                 name: str = '<array>'):
        if isinstance(frames, np.ndarray):
            if frames.ndim != 4 or frames.shape[-1] != 3:
                raise ValueError('a video array must be T x H x W x 3 (RGB), '
                                 f'got shape {frames.shape}')
        self.frames = frames
        self.name = name
        self.num_frames = len(frames)
        self.float_scale, self.uint16_scale = _check_array_frames(frames, name)
        if self.num_frames:
            self.frame_shape = tuple(frames[0].shape[:2])

    def read(self, index: int) -> np.ndarray:
        frame = self.frames[index]
        if self.float_scale and np.issubdtype(frame.dtype, np.floating):
            frame = np.rint(frame * 255.)
        if frame.dtype == np.uint16 and self.uint16_scale:
            frame = np.rint(frame / 257.)  # 65535 -> 255
        if frame.dtype != np.uint8:
            frame = np.clip(frame, 0, 255).astype(np.uint8)
        return frame


class FolderFrameReader(FrameReader):
    """Images of a folder in natural order (``1.jpg < 2.jpg < 10.jpg``);
    index ``i`` (0-based) is the ``i``-th image (docs/get_started.md,
    "Reading videos").

    Args:
        image_backend: ``'cv2'`` (default) or ``'pillow'``
            (see :func:`read_image`).
        backend_args: the :mod:`mmengine.fileio` backend of the folder.
    """

    def __init__(self,
                 folder: str,
                 image_backend: str = 'cv2',
                 backend_args: Optional[dict] = None):
        if not _isdir(folder, backend_args):
            raise FileNotFoundError(f'frame folder not found: {folder}')
        check_choice('image_backend', image_backend, IMAGE_BACKENDS)
        self.image_backend = image_backend
        self.backend_args = backend_args
        self.name = folder
        files = set(
            fileio.list_dir_or_file(
                folder, list_dir=False, backend_args=backend_args))
        names = sorted(
            (n for n in files if n.lower().endswith(IMAGE_EXTENSIONS)),
            key=_natural_key)
        if not names:
            raise VideoReadError(f'no image files in the frame folder '
                                 f'{folder}')
        self.paths = [join_path(folder, n, backend_args) for n in names]
        self.num_frames = len(self.paths)

    def read(self, index: int) -> np.ndarray:
        return read_image(self.paths[index], self.image_backend,
                          self.backend_args)


class VideoSource:
    """Where a decoder reads ``path``: a local file by its path, streamed
    (mmaction2's readers hold all its bytes); other :mod:`mmengine.fileio`
    storage (``backend_args``) from its bytes, read once."""

    def __init__(self, path: str, backend_args: Optional[dict] = None):
        backend = fileio.get_file_backend(path, backend_args=backend_args)
        # only mmengine's own local backend: a subclass may map the path
        local = type(backend) is fileio.LocalBackend
        self.path = path if local else None
        self.data = None if self.path else fileio.get(
            path, backend_args=backend_args)

    def open(self):
        """A path or a new file object for one decoder."""
        return self.path or io.BytesIO(self.data)


class _FileioDecordInit(DecordInit):
    """mmaction2's ``DecordInit`` reading through :class:`VideoSource`
    (``backend_args``) and taking the file name as it is (``DecordInit``
    appends ``.mp4`` to a name without extension)."""

    def __init__(self, backend_args: Optional[dict] = None, **kwargs):
        super().__init__(**kwargs)
        self.backend_args = backend_args

    def _get_video_reader(self, filename: str):
        import decord
        return decord.VideoReader(
            VideoSource(filename, self.backend_args).open(),
            num_threads=self.num_threads)


_warned_fallback = False


class DecordFrameReader(FrameReader):
    """decord (through mmaction2's ``DecordInit`` / ``DecordDecode``):
    random access, frames fetched in small contiguous batches; where decord
    fails on a batch, the rest is decoded with PyAV (``fallback=True``) or a
    :class:`VideoReadError` is raised, and the decord reader is dropped."""

    def __init__(self,
                 path: str,
                 num_threads: int = 0,
                 chunk: int = 8,
                 backend_args: Optional[dict] = None,
                 fallback: bool = True):
        self.name = path
        self.backend_args = backend_args
        opened = _FileioDecordInit(
            backend_args,
            num_threads=num_threads).transform(dict(filename=path))
        self._reader = opened['video_reader']
        self.num_frames = opened['total_frames']
        self._decode = DecordDecode(mode='accurate')
        self.chunk = chunk
        self.fallback = fallback
        self._pyav = None

    def _decode_chunk(self, part):
        try:
            imgs = self._decode.transform(
                dict(video_reader=self._reader,
                     frame_inds=np.array(part)))['imgs']
            shapes = {img.shape for img in imgs}
            if len(shapes) != 1 or imgs[0].ndim != 3 or \
                    imgs[0].shape[2] != 3:
                raise ValueError(f'decord returned frames of shapes '
                                 f'{sorted(shapes)}')
            return imgs
        except Exception as e:
            self._reader = None
            if not self.fallback:
                raise VideoReadError(
                    f'cannot decode frames {part[0]}..{part[-1]} of '
                    f'{self.name}: {type(e).__name__}: '
                    f'{str(e).strip()[:200]}') from e
            global _warned_fallback
            if not _warned_fallback:
                _warned_fallback = True
                print_log(
                    f'decord could not decode {self.name} '
                    f'({type(e).__name__}: {str(e).strip()[:120]}); using '
                    'PyAV for such videos',
                    logger='current',
                    level=logging.INFO)
            self._pyav = PyAVFrameReader(self.name, self.backend_args)
            return None

    def iter_frames(self, indices):
        indices = [int(i) for i in indices]
        _check_ascending(indices, self.num_frames, self.name)
        for s in range(0, len(indices), self.chunk):
            part = indices[s:s + self.chunk]
            imgs = None if self._pyav else self._decode_chunk(part)
            if imgs is None:
                yield from self._pyav.iter_frames(indices[s:])
                return
            for i, frame in zip(part, imgs):
                yield i, self._check(frame, i)

    def read(self, index: int) -> np.ndarray:
        return next(iter(self.iter_frames([index])))[1]

    def close(self) -> None:
        self._reader = None
        if self._pyav is not None:
            self._pyav.close()
            self._pyav = None


class _SequentialReader(FrameReader):
    """Readers that decode forward; going back reopens the file."""

    def _open(self):
        raise NotImplementedError

    def _next(self) -> Optional[np.ndarray]:
        raise NotImplementedError

    def _skip(self) -> bool:
        return self._next() is not None

    def read(self, index: int) -> np.ndarray:
        if self._pos > index:
            self._open()
        while self._pos < index:
            if not self._skip():
                break
            self._pos += 1
        frame = self._next() if self._pos == index else None
        if frame is None:
            raise VideoReadError(
                f'cannot decode frame {index} of {self.name} (the file has '
                f'{self.num_frames} frames by its header; truncated?)')
        self._pos += 1
        return self._check(frame, index)


class PyAVFrameReader(_SequentialReader):
    """PyAV on a :class:`VideoSource`, decoding forward without keeping
    the frames it passes (mmaction2's ``PyAVDecode`` holds every frame up to
    the last one wanted). Frames are turned as the file's display matrix
    says (a phone video filmed upright is stored on its side, with a 90
    degree rotation), as players, OpenCV and decord (180 degrees; it fails
    on 90 and 270, and falls back to this reader) show them.
    """

    def __init__(self, path: str, backend_args: Optional[dict] = None):
        import av
        self.name = path
        self._container = None
        self._source = VideoSource(path, backend_args)
        with av.open(self._source.open()) as container:
            if not container.streams.video:
                raise VideoReadError(f'{path} has no video stream')
            stream = container.streams.video[0]
            # counted from the packets when the header does not say
            self.num_frames = int(
                stream.frames
                or sum(1 for p in container.demux(stream) if p.size))
        self._open()

    def _open(self):
        import av
        self.close()
        self._container = av.open(self._source.open())
        self._frames = self._container.decode(video=0)
        self._pos = 0

    def _decoded(self):
        try:
            return next(self._frames)
        except StopIteration:
            return None
        except Exception as e:
            raise VideoReadError(f'cannot decode {self.name}: '
                                 f'{type(e).__name__}: {e}') from e

    def _next(self):
        frame = self._decoded()
        if frame is None:
            return None
        rgb = frame.to_ndarray(format='rgb24')
        # PyAV's rotation: degrees counterclockwise, as np.rot90 turns
        turns = round(getattr(frame, 'rotation', 0) / 90) % 4
        if turns:
            rgb = np.ascontiguousarray(np.rot90(rgb, turns))
        return rgb

    def _skip(self) -> bool:  # decoded, not converted to RGB
        return self._decoded() is not None

    def close(self):
        if self._container is not None:
            self._container.close()
            self._container = None


VIDEO_BACKENDS = ('decord', 'pyav')
#: for reading a whole video in order (inference): PyAV streams it in
#: memory that does not grow with the file, decord's grows by about the
#: file's size as it reads (docs/benchmark.md); decord is the fallback.
STREAMING_VIDEO_BACKENDS = ('pyav', 'decord')


def open_video_file(path: str,
                    backends: Sequence[str] = VIDEO_BACKENDS,
                    backend_args: Optional[dict] = None,
                    probe: bool = True,
                    num_threads: int = 0) -> FrameReader:
    """Open a video file with the first backend that reads it; the error
    names the file and each backend's reason.

    Args:
        backends: tried in order.
        backend_args: the :mod:`mmengine.fileio` backend of ``path``.
        probe: decode the first frame now (fail here, not mid-stream); the
            datasets leave it out (one decode less per sample) and decode
            errors come from the frames they ask for.
        num_threads: decord's decoding threads (0: its default).
    """
    if not _exists(path, backend_args):
        raise FileNotFoundError(f'video file not found: {path}')
    openers = {
        'decord':
        lambda: DecordFrameReader(
            path,
            num_threads,
            backend_args=backend_args,
            fallback='pyav' in backends),
        'pyav':
        lambda: PyAVFrameReader(path, backend_args),
    }
    reasons = []
    for backend in backends:
        if backend not in openers:
            raise ValueError(f'unknown video backend {backend!r}; choose '
                             f'from {VIDEO_BACKENDS}')
        reader = None
        try:
            reader = openers[backend]()
            if reader.num_frames < 1:
                raise VideoReadError('no frames')
            if probe:
                first = reader.read(0)
                reader.frame_shape = tuple(first.shape[:2])
                if isinstance(reader, _SequentialReader):
                    reader._open()
            return reader
        except ImportError as e:
            reasons.append(f'{backend}: not installed ({e})')
        except Exception as e:  # each library raises its own types
            reasons.append(f'{backend}: {type(e).__name__}: '
                           f'{str(e).strip()[:160]}')
        if reader is not None:
            reader.close()
    raise VideoReadError(f'cannot read video {path} (corrupt, truncated or '
                         f'not a video): ' + '; '.join(reasons))


def open_video(video,
               image_backend: str = 'cv2',
               backend_args: Optional[dict] = None,
               video_backends: Sequence[str] = VIDEO_BACKENDS) -> FrameReader:
    """A :class:`FrameReader` for a video file path, a folder of frames, a
    (T, H, W, 3) RGB array / list of frames, or a reader (returned as is).
    ``image_backend`` decodes the images of a folder (:func:`read_image`);
    ``backend_args`` is the :mod:`mmengine.fileio` backend of a path;
    ``video_backends`` open a video file, the first that reads it."""
    if isinstance(video, FrameReader):
        return video
    if isinstance(video, (str, os.PathLike)):
        video = os.fspath(video)
        if _isdir(video, backend_args):
            return FolderFrameReader(
                video, image_backend=image_backend, backend_args=backend_args)
        return open_video_file(video, video_backends, backend_args)
    if isinstance(video, np.ndarray) or (isinstance(video,
                                                    (list, tuple)) and video
                                         and isinstance(video[0], np.ndarray)):
        return ArrayFrameReader(video)
    raise TypeError('a video is a file path, a frame folder, a T x H x W x 3 '
                    f'array or a FrameReader, got {type(video).__name__}')


def read_frame(video_path: Optional[str] = None,
               frame_dir: Optional[str] = None,
               frame_id: int = 1,
               filename_tmpl: str = '{:05d}.jpg',
               image_backend: str = 'cv2',
               backend_args: Optional[dict] = None) -> np.ndarray:
    """One RGB frame by its 1-based number (the datasets' ``frame_id``) from a
    video file or a frame folder."""
    if frame_dir:
        return read_image(
            join_path(frame_dir, filename_tmpl.format(frame_id), backend_args),
            image_backend, backend_args)
    if not video_path:
        raise ValueError('read_frame needs a video_path or a frame_dir')
    with open_video_file(video_path, backend_args=backend_args) as reader:
        return reader.read(int(frame_id) - 1)
