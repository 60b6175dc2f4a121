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
import os.path as osp
import sys
import time
from typing import List, Optional, Sequence

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = osp.join('configs', 'csted', 'synthetic',
                          'csted_tiny_synthetic.py')


# (long: one add_argument per option, nothing else)
def parse_frames(items: Sequence[str]) -> Optional[List[int]]:
    """The 0-based frames of a frame list: ``['3', '10-12', '20:30:5']`` ->
    [3, 10, 11, 12, 20, 25] (``a-b`` inclusive, ``a:b[:step]`` as Python's
    range; items may also be comma-separated); None for no items."""
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
                raise ValueError(f'bad frame list item {part!r}: use N, A-B '
                                 'or A:B[:STEP]')
    return out


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
    p.add_argument(
        '--fast',
        action='store_true',
        help='GPU speed-ups: BN folded, bf16 autocast, channels-last '
        '(outputs equal to bf16 precision; docs/benchmark.md)')
    args = p.parse_args(argv)
    if (args.video is None) != (args.query is None):
        p.error('give both VIDEO and QUERY, or neither (synthetic clip)')
    try:
        args.frames = parse_frames(args.frames)
    except ValueError as e:
        p.error(str(e).replace('frame list', '--frames'))
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


def main(argv=None) -> int:
    args = parse_args(argv)
    from demo.video_writer import OverlayWriter, source_fps
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
            allow_mismatch=args.allow_mismatch,
            fuse_conv_bn=args.fast,
            bf16=args.fast,
            channels_last=args.fast)
    except (CheckpointMismatchError, FileNotFoundError) as e:
        # a misfit checkpoint, or no such file / config / model-zoo entry
        raise SystemExit(f'error: {e}')
    try:
        writer = OverlayWriter(args.out, args.png_dir, args.fps
                               or source_fps(video))
    except ValueError as e:  # an output format it cannot write
        raise SystemExit(f'error: {e}')
    # inference time: from asking for a batch to its masks (decoding,
    # pipeline, model, overlays), not the writing
    infer_time, frames, complete = 0., 0, False
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
        complete = True
    except (VideoReadError, FileNotFoundError, IndexError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    finally:
        # an error or Ctrl-C keeps the frames done as <name>.partial<ext>
        # and an older output as it was
        out = writer.close(complete)
        if not complete and out:
            print(
                f'kept the {writer.count} frames done in {out}',
                file=sys.stderr)
    wall = time.perf_counter() - t0
    codec = f', {writer.codec}' if writer.codec else ''
    print(f'wrote {out} ({writer.count} frames{codec})')
    print(f'inference: {frames} frames in {infer_time:.2f} s = '
          f'{frames / max(infer_time, 1e-9):.2f} frames/s on {args.device} '
          f'(decoding, pipeline, model, drawing); {wall:.2f} s with writing '
          '(tools/analysis_tools/benchmark_video.py times each step)')
    return 0


if __name__ == '__main__':
    # first, before demo/ (the script's folder): `demo` is then this
    # folder's package (demo.video_writer), not demo.py
    sys.path.insert(0, REPO_ROOT)
    sys.exit(main())
