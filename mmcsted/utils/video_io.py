"""Reading the frames of a video file, a folder of frames or an array.

Readers give RGB uint8 frames (H, W, 3) by 0-based index, in ascending
order, without holding the decoded video: :meth:`FrameReader.iter_frames`
decodes what is asked for and nothing before it is kept. Video files are
opened with decord, then PyAV, then OpenCV; a file none of them can read
raises :class:`VideoReadError` naming it."""
import os
import os.path as osp
import re
from typing import Iterable, Iterator, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')


class VideoReadError(RuntimeError):
    """A video or frame cannot be read; the message names the file."""


#: how frame images are decoded: OpenCV (``cv2.imread``, default) or Pillow
#: (``Image.open(path).convert('RGB')``, as the CSTED authors' test code reads
#: its JPEG frames; the two JPEG decoders may differ slightly).
IMAGE_BACKENDS = ('cv2', 'pillow')


def read_image(path: str, backend: str = 'cv2') -> np.ndarray:
    """An image file as H x W x 3 RGB uint8; a missing, unreadable or
    truncated file raises :class:`VideoReadError` naming it."""
    if backend == 'cv2':
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            what = 'missing' if not osp.exists(path) else 'unreadable'
            raise VideoReadError(f'cannot read frame image {path} ({what})')
        return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    if backend == 'pillow':
        from PIL import Image
        try:
            with Image.open(path) as im:
                return np.asarray(im.convert('RGB'), dtype=np.uint8)
        except Exception as e:  # FileNotFoundError, UnidentifiedImageError,
            # OSError('image file is truncated ...'), ...
            raise VideoReadError(f'cannot read frame image {path} '
                                 f'({type(e).__name__}: {e})') from e
    raise ValueError(f'image backend must be one of {IMAGE_BACKENDS}, got '
                     f'{backend!r}')


def _natural_key(name: str):
    return [int(t) if t.isdigit() else t for t in re.split(r'(\d+)', name)]


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
        last = -1
        for i in indices:
            i = int(i)
            if i <= last:
                raise ValueError('frame indices must be strictly ascending')
            if not 0 <= i < self.num_frames:
                raise IndexError(f'frame {i} outside 0..{self.num_frames - 1}'
                                 f' of {self.name}')
            last = i
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


class ArrayFrameReader(FrameReader):
    """Frames of a (T, H, W, 3) RGB array (or a list of (H, W, 3) arrays)."""

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
        if self.num_frames:
            self.frame_shape = tuple(frames[0].shape[:2])

    def read(self, index: int) -> np.ndarray:
        frame = self.frames[index]
        if frame.dtype != np.uint8:
            frame = np.clip(frame, 0, 255).astype(np.uint8)
        return frame


class FolderFrameReader(FrameReader):
    """Images of a folder in natural order (``1.jpg < 2.jpg < 10.jpg``; for
    zero-padded names such as ``00001.jpg`` the same as sorting by name), or
    ``filename_tmpl.format(i + start_index)`` when a template is given.

    Index ``i`` (0-based) is the ``i``-th image, so a folder of the frames of
    a video file numbers them as the video file does. Files whose extension
    is not in :data:`IMAGE_EXTENSIONS` are ignored; a folder without images
    raises :class:`VideoReadError`, and so does an image that cannot be
    decoded (naming it) when it is read.

    Args:
        image_backend: ``'cv2'`` (default) or ``'pillow'``
            (see :func:`read_image`).
    """

    def __init__(self,
                 folder: str,
                 filename_tmpl: Optional[str] = None,
                 start_index: int = 1,
                 image_backend: str = 'cv2'):
        if not osp.isdir(folder):
            raise FileNotFoundError(f'frame folder not found: {folder}')
        if image_backend not in IMAGE_BACKENDS:
            raise ValueError(f'image_backend must be one of {IMAGE_BACKENDS},'
                             f' got {image_backend!r}')
        self.image_backend = image_backend
        self.name = folder
        if filename_tmpl:
            names, i = [], start_index
            while osp.isfile(osp.join(folder, filename_tmpl.format(i))):
                names.append(filename_tmpl.format(i))
                i += 1
        else:
            names = sorted((n for n in os.listdir(folder)
                            if n.lower().endswith(IMAGE_EXTENSIONS)),
                           key=_natural_key)
        if not names:
            raise VideoReadError(f'no image files in the frame folder '
                                 f'{folder}')
        self.paths = [osp.join(folder, n) for n in names]
        self.num_frames = len(self.paths)

    def read(self, index: int) -> np.ndarray:
        return read_image(self.paths[index], self.image_backend)


class DecordFrameReader(FrameReader):
    """decord: random access, frames fetched in small contiguous batches."""

    def __init__(self, path: str, num_threads: int = 0, chunk: int = 8):
        import decord
        self.name = path
        self._reader = decord.VideoReader(path, num_threads=num_threads)
        self.num_frames = len(self._reader)
        self.chunk = chunk

    def iter_frames(self, indices):
        indices = [int(i) for i in indices]
        if any(b <= a for a, b in zip(indices, indices[1:])):
            raise ValueError('frame indices must be strictly ascending')
        for i in indices:
            if not 0 <= i < self.num_frames:
                raise IndexError(f'frame {i} outside 0..{self.num_frames - 1}'
                                 f' of {self.name}')
        for s in range(0, len(indices), self.chunk):
            part = indices[s:s + self.chunk]
            try:
                batch = self._reader.get_batch(part).asnumpy()
            except Exception as e:
                raise VideoReadError(
                    f'cannot decode frames {part[0]}..{part[-1]} of '
                    f'{self.name}: {type(e).__name__}: '
                    f'{str(e).strip()[:200]}') from e
            for i, frame in zip(part, batch):
                yield i, self._check(frame, i)

    def read(self, index: int) -> np.ndarray:
        return next(iter(self.iter_frames([index])))[1]

    def close(self) -> None:
        self._reader = None


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

    def __init__(self, path: str):
        import av
        self._av = av
        self.name = path
        self._container = None
        with av.open(path) as container:
            if not container.streams.video:
                raise VideoReadError(f'{path} has no video stream')
            stream = container.streams.video[0]
            n = stream.frames or sum(
                1 for p in container.demux(stream) if p.size)
        self.num_frames = int(n)
        self._open()

    def _open(self):
        self.close()
        self._container = self._av.open(self.name)
        self._frames = self._container.decode(video=0)
        self._pos = 0

    def _next(self):
        try:
            return next(self._frames).to_ndarray(format='rgb24')
        except StopIteration:
            return None
        except Exception as e:
            raise VideoReadError(f'cannot decode {self.name}: '
                                 f'{type(e).__name__}: {e}') from e

    def close(self):
        if self._container is not None:
            self._container.close()
            self._container = None


class CV2FrameReader(_SequentialReader):

    def __init__(self, path: str):
        self.name = path
        self._cap = None
        self._open()
        self.num_frames = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        if self.num_frames <= 0:
            raise VideoReadError(f'OpenCV reads no frames from {path}')

    def _open(self):
        self.close()
        self._cap = cv2.VideoCapture(self.name)
        if not self._cap.isOpened():
            raise VideoReadError(f'OpenCV cannot open {self.name}')
        self._pos = 0

    def _next(self):
        ok, frame = self._cap.read()
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB) if ok else None

    def _skip(self) -> bool:
        return bool(self._cap.grab())

    def close(self):
        if self._cap is not None:
            self._cap.release()
            self._cap = None


VIDEO_BACKENDS = ('decord', 'pyav', 'opencv')


def open_video_file(path: str,
                    backends: Sequence[str] = VIDEO_BACKENDS) -> FrameReader:
    """Open a video file with the first backend that reads it (and decodes
    its first frame); the error names the file and each backend's reason."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'video file not found: {path}')
    classes = {
        'decord': DecordFrameReader,
        'pyav': PyAVFrameReader,
        'opencv': CV2FrameReader
    }
    reasons = []
    for backend in backends:
        if backend not in classes:
            raise ValueError(f'unknown video backend {backend!r}; choose '
                             f'from {VIDEO_BACKENDS}')
        reader = None
        try:
            reader = classes[backend](path)
            if reader.num_frames < 1:
                raise VideoReadError('no frames')
            first = reader.read(0)  # fail here, not mid-stream
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
               filename_tmpl: Optional[str] = None,
               image_backend: str = 'cv2') -> FrameReader:
    """A :class:`FrameReader` for a video file path, a folder of frames, a
    (T, H, W, 3) RGB array / list of frames, or a reader (returned as is).
    ``image_backend`` decodes the images of a folder (:func:`read_image`)."""
    if isinstance(video, FrameReader):
        return video
    if isinstance(video, (str, os.PathLike)):
        video = os.fspath(video)
        if osp.isdir(video):
            return FolderFrameReader(video, filename_tmpl,
                                     image_backend=image_backend)
        return open_video_file(video)
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
               image_backend: str = 'cv2') -> np.ndarray:
    """One RGB frame by its 1-based number (the datasets' ``frame_id``) from a
    video file or a frame folder."""
    if frame_dir:
        return read_image(
            osp.join(frame_dir, filename_tmpl.format(frame_id)),
            image_backend)
    if not video_path:
        raise ValueError('read_frame needs a video_path or a frame_dir')
    with open_video_file(video_path) as reader:
        return reader.read(int(frame_id) - 1)
