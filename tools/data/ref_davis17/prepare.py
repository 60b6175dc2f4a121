"""Prepare a Ref-DAVIS17 tree for testing.

    python tools/data/ref_davis17/prepare.py data/ref_davis17 [--force]

1. check the tree (tools/data/ref_davis17/check_tree.py; stops on a problem
   unless --force);
2. write ``meta_expressions/{train,val}/meta_expressions.json`` into the data
   root, which RefDAVIS17Dataset reads: the expressions of the four runs from
   davis_text_annotations/ (misspelt video names fixed; malformed lines,
   expressions without a word and expressions whose object is in no mask left
   out, counted and logged) and per video the frames that have a mask.
"""
import argparse
import os.path as osp
import sys

# run as a script: the folder holding tools/ (a checkout, or an installed
# mmcsted/.mim) goes on the path for the modules tools share (tools.data.*)
if __name__ == '__main__':
    sys.path.insert(0, osp.abspath(__file__ + '/../../../..'))

from tools.data.ref_davis_expressions import write_meta_expressions
from tools.data.ref_davis_tree_check import check_ref_davis17_tree
from tools.data.tree_check import passes_check


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument(
        'data_root',
        help='folder holding DAVIS/ and '
        'davis_text_annotations/')
    p.add_argument(
        '--force',
        action='store_true',
        help='write the files although the check found problems')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    scans = {}  # the check reads every mask once; the writing reuses it
    report = check_ref_davis17_tree(args.data_root, scans=scans)
    if not passes_check(report, args.force):
        return 1
    for split, (path, _) in write_meta_expressions(args.data_root,
                                                   scans).items():
        print(f'{split}: {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
