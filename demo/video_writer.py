"""The overlay video of a demo, frame by frame: .mp4 (H.264 where an
encoder exists, else mp4v with a note), .webm (VP9/VP8), a GIF or a PNG
folder; ``demo/demo.py`` and ``demo/web_demo.py`` write through it (as
``demo.video_writer``, the repository root on the path)."""
import os
import os.path as osp
import sys

from mmcsted.utils.atomic_write import (atomic_write, atomic_write_image,
                                        commit_temp, temp_path_beside)


def source_fps(video) -> float:
    if isinstance(video, str) and osp.isfile(video):
        import cv2
        cap = cv2.VideoCapture(video)
        fps = cap.get(cv2.CAP_PROP_FPS)
        cap.release()
        if fps and 1 <= fps <= 240:
            return float(fps)
    return 10.


def _even(rgb):
    """H.264 in yuv420p needs an even width and height: pad by one pixel."""
    import numpy as np
    h, w = rgb.shape[:2]
    if h % 2 or w % 2:
        rgb = np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode='edge')
    return rgb


class _PyAVVideo:
    """An encoder of PyAV (FFmpeg): libx264 for .mp4, libvpx-vp9 for .webm."""

    def __init__(self, out: str, codec: str, fps: float, size):
        from fractions import Fraction

        import av
        options = {
            'movflags': '+faststart'
        } if out.lower().endswith('.mp4') else {}
        self.container = av.open(out, 'w', options=options)
        self.stream = self.container.add_stream(
            codec, rate=Fraction(fps).limit_denominator(1001))
        self.stream.width, self.stream.height = size
        self.stream.pix_fmt = 'yuv420p'
        try:  # now, not at the first frame, so that a failure falls back
            self.stream.codec_context.open(strict=False)
        except Exception:
            self.container.close()
            raise

    def write(self, rgb) -> None:
        import av
        frame = av.VideoFrame.from_ndarray(rgb, format='rgb24')
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def release(self) -> None:
        for packet in self.stream.encode():  # flush the delayed frames
            self.container.mux(packet)
        self.container.close()


class _OpenCVVideo:

    def __init__(self, out: str, fourcc: str, fps: float, size):
        import cv2
        self.writer = cv2.VideoWriter(out, cv2.VideoWriter_fourcc(*fourcc),
                                      fps, size)
        if not self.writer.isOpened():
            raise OSError(f'OpenCV cannot write {fourcc} to {out}')

    def write(self, rgb) -> None:
        import cv2
        self.writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))

    def release(self) -> None:
        self.writer.release()


# Browsers play H.264 in .mp4 and VP8/VP9 in .webm, not OpenCV's default
# MPEG-4 Part 2 ('mp4v'). The PyPI opencv wheels have no H.264 encoder, PyAV's
# wheels do (libx264); mp4v is the last resort, with a note.
ENCODERS = {
    '.mp4': [('H.264 (PyAV libx264)', _PyAVVideo, 'libx264'),
             ('H.264 (OpenCV avc1)', _OpenCVVideo, 'avc1'),
             ('MPEG-4 Part 2 (OpenCV mp4v)', _OpenCVVideo, 'mp4v')],
    '.webm': [('VP8 (OpenCV VP80)', _OpenCVVideo, 'VP80'),
              ('VP9 (PyAV libvpx-vp9)', _PyAVVideo, 'libvpx-vp9')],
}


def video_extension(out: str) -> str:
    ext = osp.splitext(out)[1].lower()
    if ext not in ENCODERS:
        raise ValueError(f'{out}: write .mp4 (H.264), .webm (VP9/VP8), '
                         '.gif (--gif) or PNGs (--png-dir)')
    return ext


def open_video_writer(out: str, fps: float, size):
    """(writer, name of the codec): the first encoder of ``ENCODERS`` that
    this machine has for the extension of ``out``."""
    ext = video_extension(out)
    failures = []
    for name, kind, codec in ENCODERS[ext]:
        try:
            writer = kind(out, codec, fps, size)
        except Exception as e:  # encoder absent from this build
            failures.append(f'{name}: {type(e).__name__}: {e}')
            continue
        if failures:
            print(
                f'note: {"; ".join(failures)}; writing {name}' +
                (', which browsers do not play: use --gif or a .webm --out '
                 'for a browser' if 'mp4v' in codec else ''),
                file=sys.stderr)
        return writer, name
    raise OSError(f'no encoder for {out}: ' + '; '.join(failures))


class OverlayWriter:
    """A video (.mp4: H.264 where an encoder exists, else mp4v with a note;
    .webm: VP9/VP8), a GIF (Pillow) or a PNG folder, frame by frame.

    Nothing is torn by a kill or an error: the video or GIF is written under
    a hidden temporary name beside ``out`` and renamed to ``out`` by
    ``close()``; each PNG is written whole. A run that stops early
    (``close(complete=False)``) keeps what it wrote as
    ``<name>.partial<ext>`` and leaves an older ``out`` as it was.
    """

    def __init__(self, out: str, png_dir: str, fps: float):
        self.out, self.png_dir, self.fps = out, png_dir, fps
        self.writer = None
        self.codec = None
        self.gif_frames = []
        self.count = 0
        self.temp = None
        if png_dir:
            os.makedirs(png_dir, exist_ok=True)
        elif not out.lower().endswith('.gif'):
            video_extension(out)  # an unknown one fails now, not at frame 1

    def write(self, rgb, frame_index: int) -> None:
        import cv2
        self.count += 1
        if self.png_dir:
            atomic_write_image(
                cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                osp.join(self.png_dir, f'{frame_index:05d}.png'))
        elif self.out.lower().endswith('.gif'):
            from PIL import Image
            self.gif_frames.append(
                Image.fromarray(rgb).convert('P', palette=Image.ADAPTIVE))
        else:
            rgb = _even(rgb)
            if self.writer is None:
                h, w = rgb.shape[:2]
                self.size = (w, h)
                self.temp = temp_path_beside(self.out, keep_ext=True)
                try:
                    self.writer, self.codec = open_video_writer(
                        self.temp, self.fps, self.size)
                except BaseException:
                    os.remove(self.temp)
                    raise
            if (rgb.shape[1], rgb.shape[0]) != self.size:
                rgb = cv2.resize(rgb, self.size)
            self.writer.write(rgb)

    def close(self, complete: bool = True) -> str:
        """Finish the file; returns where the frames are (``out``, the PNG
        folder, or the ``.partial`` file of an incomplete run; ``''`` for
        an incomplete run that wrote nothing)."""
        if self.png_dir:
            return self.png_dir
        stem, ext = osp.splitext(self.out)
        dst = self.out if complete else f'{stem}.partial{ext}'
        if self.writer is not None:  # it exists once a frame is written
            self.writer.release()
            self.writer = None
            return commit_temp(self.temp, dst)
        if self.gif_frames:
            with atomic_write(dst) as f:
                self.gif_frames[0].save(
                    f,
                    format='GIF',
                    save_all=True,
                    append_images=self.gif_frames[1:],
                    duration=int(round(1000 / self.fps)),
                    loop=0)
            return dst
        return self.out if complete else ''
