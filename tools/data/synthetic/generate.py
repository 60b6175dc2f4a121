"""Write the synthetic benchmark (tools/data/synthetic) in a release
layout: A2D Sentences (default), Ref-YouTube-VOS or MeViS.

    python tools/data/synthetic/generate.py data/synthetic_a2d
    python tools/data/synthetic/generate.py data/synthetic_ytvos \
        --layout ref_youtube_vos
    python tools/data/synthetic/generate.py data/synthetic_mevis --layout mevis

Seeded (the same seed writes the same files); prints the generation time
and the counts. The A2D tree loads through A2DSentencesDataset
(configs/_base_/datasets/synthetic_a2d.py).
"""
import argparse
import json
import os.path as osp
import sys
import time

# run as a script: the folder holding tools/ (a checkout, or an installed
# mmcsted/.mim) goes on the path for the modules tools share (tools.data.*)
if __name__ == '__main__':
    sys.path.insert(0, osp.abspath(__file__ + '/../../../..'))

LAYOUTS = ('a2d', 'ref_youtube_vos', 'mevis')
# option -> the layouts it applies to; options left out take the
# layout's own default (see the generate functions)
_LAYOUT_OPTIONS = {
    'test_ratio': ('a2d', ),
    'num_missed': ('a2d', ),
    'no_copy_quirk': ('a2d', ),
    'frame_step': ('ref_youtube_vos', ),
    'test_share': ('ref_youtube_vos', ),
    'expressions_per_object': ('ref_youtube_vos', ),
    'valid_ratio': ('ref_youtube_vos', 'mevis'),
    'exit_prob': ('ref_youtube_vos', 'mevis'),
    'valid_u_ratio': ('mevis', ),
    'multi_prob': ('mevis', ),
    'no_target_prob': ('mevis', ),
}


# (long: one add_argument per option, nothing else)
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('out_dir')
    p.add_argument('--layout', choices=LAYOUTS, default='a2d')
    p.add_argument(
        '--num-videos', type=int, help='default: 640 (a2d), 64 (others)')
    p.add_argument(
        '--height',
        type=int,
        help='frame height (default 64; a2d: even, up to 320 like '
        'clips320H)')
    p.add_argument('--width', type=int, help='frame width (default 80)')
    p.add_argument(
        '--num-frames',
        type=int,
        help='rendered frames per video (default: 24; ref_youtube_vos: 36)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--min-actors', type=int)
    p.add_argument('--max-actors', type=int)
    p.add_argument(
        '--twin-prob',
        type=float,
        help='probability that a video holds an identical-looking '
        'pair doing different actions (default 0.65)')
    g = p.add_argument_group('a2d')
    g.add_argument('--test-ratio', type=float, help='default 0.25')
    g.add_argument(
        '--num-missed',
        type=int,
        help='videos listed in a2d_missed_videos.txt (default 2)')
    g.add_argument(
        '--no-copy-quirk',
        action='store_true',
        default=None,
        help="do not write CSTM's '1 (copy)' row")
    g = p.add_argument_group('ref_youtube_vos')
    g.add_argument(
        '--frame-step',
        type=int,
        help='list every n-th rendered frame (default 5: 30 -> 6 fps)')
    g.add_argument(
        '--test-share',
        type=float,
        help='share of the valid list that are test videos (default 0.6)')
    g.add_argument('--expressions-per-object', type=int, help='default 2')
    g = p.add_argument_group('ref_youtube_vos and mevis')
    g.add_argument(
        '--valid-ratio',
        type=float,
        help='videos in the valid list (default 0.25; mevis 0.2)')
    g.add_argument(
        '--exit-prob',
        type=float,
        help='probability that an actor enters late or leaves early '
        '(default 0.2; mevis 0.3)')
    g = p.add_argument_group('mevis')
    g.add_argument('--valid-u-ratio', type=float, help='default 0.2')
    g.add_argument(
        '--multi-prob',
        type=float,
        help='probability of a multi-object expression per video '
        '(default 0.8)')
    g.add_argument(
        '--no-target-prob',
        type=float,
        help='probability of a no-target expression per video (default '
        '0.5; 0: MeViS v1-like)')
    p.add_argument('--overwrite', action='store_true')
    args = p.parse_args(argv)
    for opt, layouts in _LAYOUT_OPTIONS.items():
        if getattr(args, opt) is not None and args.layout not in layouts:
            p.error(f'--{opt.replace("_", "-")} does not apply to '
                    f'--layout {args.layout}')
    return args


def _kwargs(args) -> dict:
    common = ('num_videos', 'height', 'width', 'num_frames', 'min_actors',
              'max_actors', 'twin_prob')
    kw = {k: getattr(args, k) for k in common if getattr(args, k) is not None}
    for opt, layouts in _LAYOUT_OPTIONS.items():
        value = getattr(args, opt)
        if value is None or args.layout not in layouts:
            continue
        if opt == 'no_copy_quirk':
            kw['copy_quirk'] = False
        else:
            kw[opt] = value
    kw.update(seed=args.seed, overwrite=args.overwrite, progress=True)
    return kw


def _report(layout: str, c: dict) -> str:
    if layout == 'a2d':
        return (f'{c["videos"]} videos ({c["train_videos"]} train, '
                f'{c["test_videos"]} test, {c["missed_videos"]} missed), '
                f'{c["queries"]} queries ({c["twin_queries"]} twin = '
                f'{100 * c["twin_fraction"]:.0f}%), samples: '
                f'{c["train_samples"]} train / {c["test_samples"]} test, '
                f'vocabulary {c["vocab_size"]} words')
    if layout == 'ref_youtube_vos':
        return (f'{c["videos"]} videos ({c["train_videos"]} train, '
                f'{c["valid_list_videos"]} in the valid list of which '
                f'{c["test_videos"]} test: {c["scored_valid_videos"]} scored '
                f'valid), {c["listed_frames_per_video"]} listed frames per '
                f'video, {c["expressions"]} expressions '
                f'({c["train_expressions"]} train, {c["valid_expressions"]} '
                f'valid, {c["test_expressions"]} test)')
    parts = []
    for s in ('train', 'valid_u', 'valid'):
        parts.append(f'{s}: {c[s + "_videos"]} videos, '
                     f'{c[s + "_expressions"]} expressions '
                     f'({c[s + "_multi_expressions"]} multi-object, '
                     f'{c[s + "_no_target_expressions"]} no-target)')
    return '; '.join(parts) + f'; {c["null_rle_frames"]} null RLE frames'


def main(argv=None) -> int:
    args = parse_args(argv)
    from tools.data import synthetic
    generate = dict(
        a2d=synthetic.generate,
        ref_youtube_vos=synthetic.generate_ref_youtube_vos,
        mevis=synthetic.generate_mevis)[args.layout]
    t0 = time.perf_counter()
    summary = generate(args.out_dir, **_kwargs(args))
    print(f'wrote {args.out_dir} in {time.perf_counter() - t0:.1f} s: ' +
          _report(args.layout, summary['counts']))
    print(json.dumps(summary['params']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
