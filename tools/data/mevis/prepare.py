"""Prepare a MeViS tree for training and testing.

    python tools/data/mevis/prepare.py data/mevis

1. check the release (tools/data/mevis/check_release.py; stops on
   a problem unless --force);
2. write ``vocab.json`` (the words of the TRAIN split's expressions) into the
   data root: the model configs read it.
"""
import argparse
import os.path as osp
import sys


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('data_root')
    p.add_argument(
        '--vocab-out',
        default=None,
        help='vocabulary path (default <data_root>/vocab.json)')
    p.add_argument(
        '--force',
        action='store_true',
        help='write the vocabulary although the check found problems')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmcsted.datasets.ref_vos_base import build_expression_vocabulary
    from mmcsted.datasets.ref_vos_release_check import check_mevis_release
    report = check_mevis_release(args.data_root)
    print(report.render())
    if not report.ok and not args.force:
        print('stopping: fix the problems above or pass --force')
        return 1
    out = args.vocab_out or osp.join(args.data_root, 'vocab.json')
    n = build_expression_vocabulary(
        osp.join(args.data_root, 'train', 'meta_expressions.json'), out)
    print(f'vocabulary: {n} words (train expressions) -> {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
