"""Extract A2D Sentences videos to JPEG frames as the CSTED authors read them.

    python tools/data/a2d_sentences/extract_frames.py data/a2d_sentences \\
        [--out Release/frames_cv2] [--split test] [--workers 4]

Writes ``<out>/<vid>/<frame:05d>.jpg`` (1-based), the layout of the authors'
released test code (``frame_root/<vid>/{:05d}.jpg``, read with PIL), which
``A2DSentencesDataset(video_source='frames', frame_root=...)`` and
``configs/_base_/datasets/a2d_sentences_cstm.py`` read. Each video of
``Release/clips320H/`` is decoded with ``cv2.VideoCapture`` and every frame is
written with ``cv2.imwrite`` and OpenCV's default JPEG settings (quality 95).
That the authors used these defaults is an assumption: their code only shows
a folder named ``frames_cv2``.

Resumable: a video's folder appears only when complete, and videos whose
folder exists are skipped. Exit status 1 if a video failed (missing or
unreadable mp4), after the others are done.
"""
import argparse
import os.path as osp
import sys

# run as a script: the folder holding tools/ (a checkout, or an installed
# mmcsted/.mim) goes on the path for the modules tools share (tools.data.*)
if __name__ == '__main__':
    sys.path.insert(0, osp.abspath(__file__ + '/../../../..'))

DEFAULT_OUT = 'Release/frames_cv2'


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='extract A2D videos to <out>/<vid>/<frame:05d>.jpg with '
        'OpenCV (the authors\' frames_cv2 layout)')
    p.add_argument('data_root')
    p.add_argument(
        '--out',
        default=DEFAULT_OUT,
        help='frame root, relative to data_root unless absolute '
        f'(default {DEFAULT_OUT})')
    p.add_argument(
        '--split',
        choices=('all', 'train', 'test'),
        default='all',
        help='videos with sentences of this split (default all)')
    p.add_argument(
        '--videos', nargs='+', default=None, help='only these video ids')
    p.add_argument(
        '--jpeg-quality',
        type=int,
        default=None,
        help='JPEG quality (default: OpenCV\'s default, 95)')
    p.add_argument(
        '--backend',
        choices=('opencv', 'decord'),
        default='opencv',
        help='decoder (default opencv, as the authors; decord '
        'falls back to PyAV)')
    p.add_argument('--workers', type=int, default=1)
    p.add_argument('--no-progress', action='store_true')
    return p.parse_args(argv)


def select_videos(root, split='all', videos=None):
    """Ids of the videos with sentences (not in a2d_missed_videos.txt) of
    ``split``, in videoset.csv order; or ``videos`` as given (each must be in
    videoset.csv)."""
    from mmcsted.datasets import a2d
    records = a2d.read_videoset(osp.join(root, a2d.VIDEOSET_FILE))
    if videos:
        unknown = [v for v in videos if v not in records]
        if unknown:
            raise ValueError(f'videos not in videoset.csv: {unknown[:10]}')
        return list(dict.fromkeys(videos))
    rows = a2d.read_a2d_annotations(osp.join(root, a2d.ANNOTATION_FILE))
    missed = a2d.read_missed_videos(osp.join(root, a2d.MISSED_FILE))
    with_text = {r.video_id for r in rows}
    out = [
        vid for vid, rec in records.items()
        if vid in with_text and vid not in missed and (
            split == 'all' or rec.subset == a2d.SPLITS[split])
    ]
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmcsted.datasets.a2d import resolve_frame_root
    from tools.data.a2d_sentences.frames import extract_a2d_frames
    try:
        vids = select_videos(args.data_root, args.split, args.videos)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    out_root = resolve_frame_root(args.data_root, args.out)
    print(f'{len(vids)} videos -> {out_root}/<vid>/<frame:05d>.jpg '
          f'({args.backend}, JPEG quality '
          f'{args.jpeg_quality or "OpenCV default (95)"})')
    failed = extract_a2d_frames(
        args.data_root,
        vids,
        frame_root=args.out,
        jpeg_quality=args.jpeg_quality,
        backend=args.backend,
        workers=args.workers,
        progress=not args.no_progress)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
