"""Say what is missing or malformed in a Ref-YouTube-VOS tree.

    python tools/data/ref_youtube_vos/check_tree.py data/ref_youtube_vos

Checks meta_expressions/{train,valid,test}/meta_expressions.json,
train/meta.json, the JPEG and Annotations folders and the listed frames in
them, and reports the valid/test split trap (the valid file also lists the
test-phase videos; the 202 scored videos are valid minus test). Exits 1 when
something required is missing (named, up to --limit per kind, with counts),
0 otherwise.
"""
import os.path as osp
import sys

# run as a script: the folder holding tools/ (a checkout, or an installed
# mmcsted/.mim) goes on the path for the modules tools share (tools.data.*)
if __name__ == '__main__':
    sys.path.insert(0, osp.abspath(__file__ + '/../../../..'))

from tools.data.ref_vos_tree_check import check_ref_youtube_vos_tree
from tools.data.tree_check import print_report, tree_check_parser


def parse_args(argv=None):
    p = tree_check_parser(
        __doc__, 'folder holding meta_expressions/, train/ and valid/')
    p.add_argument(
        '--deep',
        action='store_true',
        help='also open every listed annotation PNG (object-id PNG of the '
        'frame size)')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    report = check_ref_youtube_vos_tree(
        args.data_root, deep=args.deep, limit=args.limit)
    return print_report(report)


if __name__ == '__main__':
    sys.exit(main())
