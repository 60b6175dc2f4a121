"""Say what is missing or malformed in a J-HMDB Sentences tree.

    python tools/data/jhmdb_sentences/check_tree.py data/jhmdb_sentences

Exits 1 when something required is missing (files are named, up to --limit
per kind, with counts), 0 otherwise.
"""
import os.path as osp
import sys

# run as a script: the folder holding tools/ (a checkout, or an installed
# mmcsted/.mim) goes on the path for the modules tools share (tools.data.*)
if __name__ == '__main__':
    sys.path.insert(0, osp.abspath(__file__ + '/../../../..'))

from tools.data.tree_check import (check_jhmdb_tree, print_report,
                                   tree_check_parser)


def parse_args(argv=None):
    p = tree_check_parser(
        __doc__, 'folder holding jhmdb_annotation.txt, '
        'Rename_Images/ and puppet_mask/')
    p.add_argument(
        '--deep',
        action='store_true',
        help='also load every mask and compare it with its frames')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    report = check_jhmdb_tree(args.data_root, deep=args.deep, limit=args.limit)
    return print_report(report)


if __name__ == '__main__':
    sys.exit(main())
