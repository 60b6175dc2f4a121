"""Say what is missing or malformed in a MeViS tree.

    python tools/data/mevis/check_tree.py data/mevis [--splits valid_u]

Checks, per split, <split>/meta_expressions.json, the JPEG folders and the
listed frames in them, and (train, valid_u) that mask_dict.json holds every
expression's anno_id with a mask (or null) per listed frame. Exits 1 when
something required is missing (named, up to --limit per kind, with counts),
0 otherwise.
"""
import os.path as osp
import sys

# run as a script: the folder holding tools/ (a checkout, or an installed
# mmcsted/.mim) goes on the path for the modules tools share (tools.data.*)
if __name__ == '__main__':
    sys.path.insert(0, osp.abspath(__file__ + '/../../../..'))

from mmcsted.datasets.mevis import MEVIS_SPLITS
from tools.data.ref_vos_tree_check import check_mevis_tree
from tools.data.tree_check import print_report, tree_check_parser


def parse_args(argv=None):
    p = tree_check_parser(__doc__,
                          'folder holding train/, valid_u/ and valid/')
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
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    report = check_mevis_tree(
        args.data_root, splits=args.splits, deep=args.deep, limit=args.limit)
    return print_report(report)


if __name__ == '__main__':
    sys.exit(main())
