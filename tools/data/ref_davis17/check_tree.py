"""Say what is missing or malformed in a Ref-DAVIS17 tree.

    python tools/data/ref_davis17/check_tree.py data/ref_davis [--no-masks]

The tree: DAVIS/ (DAVIS 2017 trainval 480p with Annotations_unsupervised)
and davis_text_annotations/ (the four Davis17_annot*.txt files). Exits 1
when something required is missing (files are named, up to --limit per
kind, with counts), 0 otherwise.
"""
import os.path as osp
import sys

# run as a script: the folder holding tools/ (a checkout, or an installed
# mmcsted/.mim) goes on the path for the modules tools share (tools.data.*)
if __name__ == '__main__':
    sys.path.insert(0, osp.abspath(__file__ + '/../../../..'))

from tools.data.ref_davis_tree_check import check_ref_davis17_tree
from tools.data.tree_check import print_report, tree_check_parser


def parse_args(argv=None):
    p = tree_check_parser(
        __doc__, 'folder holding DAVIS/ and '
        'davis_text_annotations/')
    p.add_argument(
        '--no-masks',
        action='store_true',
        help='do not read the masks (faster; the objects of the '
        'expressions are then not checked)')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    report = check_ref_davis17_tree(
        args.data_root, read_masks=not args.no_masks, limit=args.limit)
    return print_report(report)


if __name__ == '__main__':
    sys.exit(main())
