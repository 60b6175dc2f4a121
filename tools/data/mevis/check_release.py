"""Say what is missing or malformed in a MeViS tree.

    python tools/data/mevis/check_release.py data/mevis [--splits valid_u]

Checks, per split, <split>/meta_expressions.json, the JPEG folders and the
listed frames in them, and (train, valid_u) that mask_dict.json holds every
expression's anno_id with a mask (or null) per listed frame. Exits 1 when
something required is missing (named, up to --limit per kind, with counts),
0 otherwise.
"""
import argparse
import sys

from mmcsted.datasets.mevis import MEVIS_SPLITS
from mmcsted.datasets.ref_vos_release_check import check_mevis_release


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument(
        'data_root', help='folder holding train/, valid_u/ and valid/')
    p.add_argument(
        '--splits',
        nargs='+',
        default=list(MEVIS_SPLITS),
        choices=list(MEVIS_SPLITS),
        help='splits to check (an absent split folder is a warning)')
    p.add_argument(
        '--deep',
        action='store_true',
        help='also decode every RLE and compare its size with the frames')
    p.add_argument(
        '--limit',
        type=int,
        default=10,
        help='names listed per kind of problem')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    report = check_mevis_release(
        args.data_root, splits=args.splits, deep=args.deep, limit=args.limit)
    print(report.render())
    return 0 if report.ok else 1


if __name__ == '__main__':
    sys.exit(main())
