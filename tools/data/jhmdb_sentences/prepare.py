"""Prepare a J-HMDB Sentences tree for testing.

    python tools/data/jhmdb_sentences/prepare.py data/jhmdb_sentences

Checks the release, then freezes the evaluated frames: for every video, 3
distinct frames among those up to the last mask, drawn with a seeded random
generator (seed 42), written to
``<data_root>/jhmdb_sentences_frozen_frames.json`` as
``{vid: [frame numbers]}`` so that every run scores the same samples
(``frame_sampling='frozen'``). An existing file is kept unless --overwrite.
"""
import argparse
import json
import os
import os.path as osp
import random
import sys
from typing import Dict, List

# run as a script: the folder holding tools/ (a checkout, or an installed
# mmcsted/.mim) goes on the path for the modules tools share (tools.data.*)
if __name__ == '__main__':
    sys.path.insert(0, osp.abspath(__file__ + '/../../../..'))


def draw_frozen_frames(usable: Dict[str, int],
                       k: int = 3,
                       seed: int = 42) -> Dict[str, List[int]]:
    """The seeded draw that is frozen: for each video (in annotation order)
    ``k`` distinct frames among its ``usable`` ones, sorted."""
    rng = random.Random(seed)
    out = {}
    for vid, n in usable.items():
        frames = list(range(1, n + 1))
        out[vid] = sorted(rng.sample(frames, min(k, n)))
    return out


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('data_root')
    p.add_argument('--seed', type=int, default=42)
    p.add_argument(
        '--num-frames', type=int, default=3, help='frames drawn per video')
    p.add_argument(
        '--out',
        default=None,
        help='frozen list path (default <data_root>/'
        'jhmdb_sentences_frozen_frames.json)')
    p.add_argument('--overwrite', action='store_true')
    p.add_argument(
        '--force',
        action='store_true',
        help='go on although files are missing (those videos '
        'are left out)')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from collections import OrderedDict

    from mmcsted.datasets import JHMDBSentencesDataset
    from mmcsted.datasets import jhmdb_sentences as jh
    from mmcsted.utils.atomic_write import atomic_write_json
    from tools.data.tree_check import check_jhmdb_tree, passes_check
    root = args.data_root

    print('[1/3] checking the tree')
    report = check_jhmdb_tree(root)
    if not passes_check(report, args.force):
        return 1

    out = args.out or osp.join(root, jh.FROZEN_FILE)
    print('[2/3] freezing the evaluated frames')
    if osp.isfile(out) and not args.overwrite:
        with open(out) as f:
            frozen = json.load(f)
        print(f'kept the existing {out} ({len(frozen)} videos); '
              '--overwrite redraws it')
    else:
        rows = jh.read_jhmdb_annotations(osp.join(root, jh.ANNOTATION_FILE))
        info = jh.scan_jhmdb(root, rows, progress=True)
        usable = OrderedDict((v, it['usable_frames'])
                             for v, it in info.items()
                             if it.get('usable_frames'))
        frozen = draw_frozen_frames(usable, args.num_frames, args.seed)
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
        atomic_write_json(frozen, out, indent=0)
        print(f'wrote {out}: {len(frozen)} videos, '
              f'{sum(map(len, frozen.values()))} samples (seed {args.seed})')

    print('[3/3] building the sample lists')
    on_missing = 'skip' if args.force else 'error'
    for sampling in ('frozen', 'uniform'):
        ds = JHMDBSentencesDataset(
            root,
            frame_sampling=sampling,
            frozen_file=out,
            num_frames_per_video=args.num_frames,
            on_missing=on_missing)
        print(f'{sampling}: {len(ds)} samples')
    return 0


if __name__ == '__main__':
    sys.exit(main())
