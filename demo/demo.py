"""Segment the actor a query names in a video and write the overlay.

    python demo/demo.py VIDEO "QUERY" --checkpoint CKPT [--config CONFIG]
        [--out out.mp4 | --gif | --png-dir DIR] [--frames 0 10-20]
        [--device cpu]

VIDEO is a video file or a folder of frame images (.jpg/.jpeg/.png/...; read in
name order, natural order for unpadded numbers, e.g. 00001.jpg, 00002.jpg, ...;
``--frames`` numbers them from 0 as the frames of a video file). An image that
cannot be read, or a folder without images, stops the demo with an error
naming it. Without VIDEO and QUERY the first
test video of the synthetic benchmark (``--data-root``, default
``data/synthetic_a2d``) and its first query are used. The mask of each frame is
blended on it, the query written above; the frames per second of the inference
(decoding, pipeline, model and drawing; not writing) are printed at the end.
"""
import argparse
import os
import os.path as osp
import sys
import time

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = osp.join('configs', 'csted', 'synthetic',
                          'csted_tiny_synthetic.py')


def parse_frames(items):
    """``['3', '10-12', '20:30:5']`` -> [3, 10, 11, 12, 20, 25] (0-based;
    ``a-b`` inclusive, ``a:b[:step]`` as Python's range)."""
    if not items:
        return None
    out = []
    for item in items:
        for part in str(item).split(','):
            part = part.strip()
            if not part:
                continue
            try:
                if ':' in part:
                    out.extend(range(*[int(x) for x in part.split(':')]))
                elif '-' in part:
                    a, b = part.split('-')
                    out.extend(range(int(a), int(b) + 1))
                else:
                    out.append(int(part))
            except (TypeError, ValueError):
                raise argparse.ArgumentTypeError(
                    f'bad --frames item {part!r}: use N, A-B or A:B[:STEP]')
    return out


# (long: one add_argument per option, nothing else)
def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='CSTED demo: segment the actor a query names')
    p.add_argument(
        'video',
        nargs='?',
        help='video file or folder of frame images (name order)')
    p.add_argument(
        'query',
        nargs='?',
        help='the query, e.g. "the red '
        'circle is jumping"')
    p.add_argument(
        '--checkpoint',
        required=True,
        help='path, URL or model-zoo name (configs/csted/'
        'metafile.yml)')
    p.add_argument('--config', default=DEFAULT_CONFIG)
    p.add_argument(
        '--allow-mismatch',
        action='store_true',
        help='run a checkpoint that does not fit the config (missing, '
        'unexpected or reshaped weights), as tools/test.py does')
    p.add_argument(
        '--out',
        default=None,
        help='output video: .mp4 (H.264 where PyAV or OpenCV '
        'has an encoder, else mp4v with a note) or .webm (VP9/'
        'VP8); default outputs/demo.mp4, or outputs/demo.gif '
        'with --gif')
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument('--gif', action='store_true', help='write a GIF')
    fmt.add_argument('--png-dir', help='write one PNG per frame here')
    p.add_argument(
        '--frames',
        nargs='+',
        help='0-based frames to segment (N, A-B, A:B:STEP); '
        'default all')
    p.add_argument('--device', default='cpu')
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument(
        '--fps',
        type=float,
        default=None,
        help='output frame rate (default: the video\'s, or 10)')
    p.add_argument(
        '--min-size',
        type=int,
        default=320,
        help='enlarge smaller frames to this long side')
    p.add_argument(
        '--data-root',
        default=osp.join('data', 'synthetic_a2d'),
        help='synthetic benchmark used without VIDEO/QUERY')
    p.add_argument('--no-progress', action='store_true')
    args = p.parse_args(argv)
    if (args.video is None) != (args.query is None):
        p.error('give both VIDEO and QUERY, or neither (synthetic clip)')
    try:
        args.frames = parse_frames(args.frames)
    except argparse.ArgumentTypeError as e:
        p.error(str(e))
    if args.out is None and not args.png_dir:
        args.out = osp.join('outputs', 'demo.gif' if args.gif else 'demo.mp4')
    if not osp.isfile(args.config) and osp.isfile(
            osp.join(REPO_ROOT, args.config)):
        args.config = osp.join(REPO_ROOT, args.config)
    if args.gif and args.out and not args.out.lower().endswith('.gif'):
        args.out = osp.splitext(args.out)[0] + '.gif'
    return args


def synthetic_example(data_root: str):
    """(video, query) of the first test video of an A2D-layout tree."""
    from mmcsted.datasets.a2d import (ANNOTATION_FILE, CLIP_DIR, VIDEOSET_FILE,
                                      read_a2d_annotations, read_videoset)
    if not osp.isdir(data_root):
        raise FileNotFoundError(
            f'{data_root} not found: give VIDEO and QUERY, or write the '
            'synthetic benchmark first (python tools/data/synthetic/'
            f'generate.py {data_root})')
    videos = read_videoset(osp.join(data_root, VIDEOSET_FILE))
    rows = read_a2d_annotations(osp.join(data_root, ANNOTATION_FILE))
    queries = {}
    for row in rows:
        queries.setdefault(row.video_id, row.query)
    for vid, rec in videos.items():
        if rec.subset != 1 or vid not in queries:
            continue
        frames = osp.join(data_root, 'Release', 'frames', vid)
        mp4 = osp.join(data_root, CLIP_DIR, f'{vid}.mp4')
        if osp.isfile(mp4):
            return mp4, queries[vid]
        if osp.isdir(frames):
            return frames, queries[vid]
    raise FileNotFoundError(
        f'{data_root}: no test video (videoset.csv subset 1) with a query '
        'and a clip file')


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


def open_video_writer(out: str, fps: float, size):
    """(writer, name of the codec): the first encoder of ``ENCODERS`` that
    this machine has for the extension of ``out``."""
    ext = osp.splitext(out)[1].lower()
    if ext not in ENCODERS:
        raise ValueError(f'{out}: write .mp4 (H.264), .webm (VP9/VP8), '
                         '.gif (--gif) or PNGs (--png-dir)')
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
    .webm: VP9/VP8), a GIF (Pillow) or a PNG folder, frame by frame."""

    def __init__(self, out: str, png_dir: str, fps: float):
        self.out, self.png_dir, self.fps = out, png_dir, fps
        self.writer = None
        self.codec = None
        self.gif_frames = []
        self.count = 0
        if png_dir:
            os.makedirs(png_dir, exist_ok=True)
        elif out:
            os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)

    def write(self, rgb, frame_index: int) -> None:
        import cv2
        self.count += 1
        if self.png_dir:
            path = osp.join(self.png_dir, f'{frame_index:05d}.png')
            if not cv2.imwrite(path, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
                raise OSError(f'cannot write {path}')
        elif self.out.lower().endswith('.gif'):
            from PIL import Image
            self.gif_frames.append(
                Image.fromarray(rgb).convert('P', palette=Image.ADAPTIVE))
        else:
            rgb = _even(rgb)
            if self.writer is None:
                h, w = rgb.shape[:2]
                self.size = (w, h)
                self.writer, self.codec = open_video_writer(
                    self.out, self.fps, self.size)
            if (rgb.shape[1], rgb.shape[0]) != self.size:
                rgb = cv2.resize(rgb, self.size)
            self.writer.write(rgb)

    def close(self) -> str:
        if self.writer is not None:
            self.writer.release()
        if self.gif_frames:
            self.gif_frames[0].save(
                self.out,
                save_all=True,
                append_images=self.gif_frames[1:],
                duration=int(round(1000 / self.fps)),
                loop=0)
        return self.png_dir or self.out


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmcsted.apis import VideoActorSegInferencer
    from mmcsted.apis.inference import check_query
    from mmcsted.utils.video_io import VideoReadError

    video, query = args.video, args.query
    if video is None:
        video, query = synthetic_example(args.data_root)
        print(f'synthetic example: {video}: "{query}"')
    try:
        check_query(query)
    except (TypeError, ValueError) as e:
        raise SystemExit(f'error: {e}')
    from mmcsted.utils.checkpoint import CheckpointMismatchError
    try:
        inferencer = VideoActorSegInferencer(
            args.config,
            args.checkpoint,
            device=args.device,
            show_progress=not args.no_progress,
            allow_mismatch=args.allow_mismatch)
    except (CheckpointMismatchError, FileNotFoundError) as e:
        # a misfit checkpoint, or no such file / config / model-zoo entry
        raise SystemExit(f'error: {e}')
    writer = OverlayWriter(args.out, args.png_dir, args.fps
                           or source_fps(video))
    # inference time: from asking for a batch to its masks (decoding,
    # pipeline, model, overlays), not the writing
    infer_time, frames = 0., 0
    t0 = time.perf_counter()
    try:
        if isinstance(video, str) and not osp.exists(video):
            raise FileNotFoundError(f'video not found: {video}')
        results = inferencer.stream(
            video,
            query,
            frames=args.frames,
            batch_size=args.batch_size,
            return_scores=False,
            return_vis=True,
            min_size=args.min_size)
        t_ask = time.perf_counter()
        for r in results:
            infer_time += time.perf_counter() - t_ask
            frames += 1
            writer.write(r['visualization'], r['frame_index'])
            t_ask = time.perf_counter()
    except (VideoReadError, FileNotFoundError, IndexError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    finally:
        out = writer.close()
    wall = time.perf_counter() - t0
    codec = f', {writer.codec}' if writer.codec else ''
    print(f'wrote {out} ({writer.count} frames{codec})')
    print(f'inference: {frames} frames in {infer_time:.2f} s = '
          f'{frames / max(infer_time, 1e-9):.2f} frames/s on {args.device} '
          f'(decoding, pipeline, model, drawing); {wall:.2f} s with writing '
          '(tools/analysis_tools/benchmark_video.py times each step)')
    return 0


if __name__ == '__main__':
    if REPO_ROOT not in sys.path:
        sys.path.insert(0, REPO_ROOT)
    sys.exit(main())
