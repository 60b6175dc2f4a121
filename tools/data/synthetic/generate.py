"""Write the synthetic A2D-format benchmark (mmcsted/datasets/synthetic.py).

    python tools/data/synthetic/generate.py data/synthetic_a2d

Seeded; prints the generation time and the counts. The tree loads through
A2DSentencesDataset (configs/_base_/datasets/synthetic_a2d.py).
"""
import argparse
import json
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('out_dir')
    p.add_argument('--num-videos', type=int, default=640)
    p.add_argument(
        '--height',
        type=int,
        default=64,
        help='frame height (even; up to 320 like clips320H)')
    p.add_argument('--width', type=int, default=80, help='frame width (even)')
    p.add_argument('--num-frames', type=int, default=24)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--test-ratio', type=float, default=0.25)
    p.add_argument('--min-actors', type=int, default=2)
    p.add_argument('--max-actors', type=int, default=4)
    p.add_argument(
        '--twin-prob',
        type=float,
        default=0.65,
        help='probability that a video holds an identical-looking '
        'pair doing different actions')
    p.add_argument(
        '--num-missed',
        type=int,
        default=2,
        help='videos listed in a2d_missed_videos.txt')
    p.add_argument(
        '--no-copy-quirk',
        action='store_true',
        help="do not write the release's '1 (copy)' row")
    p.add_argument('--overwrite', action='store_true')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmcsted.datasets.synthetic import generate
    t0 = time.perf_counter()
    summary = generate(
        args.out_dir,
        num_videos=args.num_videos,
        height=args.height,
        width=args.width,
        num_frames=args.num_frames,
        seed=args.seed,
        test_ratio=args.test_ratio,
        min_actors=args.min_actors,
        max_actors=args.max_actors,
        twin_prob=args.twin_prob,
        num_missed=args.num_missed,
        copy_quirk=not args.no_copy_quirk,
        overwrite=args.overwrite,
        progress=True)
    c = summary['counts']
    print(f'wrote {args.out_dir} in {time.perf_counter() - t0:.1f} s: '
          f'{c["videos"]} videos ({c["train_videos"]} train, '
          f'{c["test_videos"]} test, {c["missed_videos"]} missed), '
          f'{c["queries"]} queries ({c["twin_queries"]} twin = '
          f'{100 * c["twin_fraction"]:.0f}%), samples: '
          f'{c["train_samples"]} train / {c["test_samples"]} test, '
          f'vocabulary {c["vocab_size"]} words')
    print(json.dumps(summary['params']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
