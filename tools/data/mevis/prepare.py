"""Prepare a MeViS tree for training and testing.

    python tools/data/mevis/prepare.py data/mevis

1. check the tree (tools/data/mevis/check_tree.py; stops on
   a problem unless --force);
2. write ``vocab.json`` (the words of the TRAIN split's expressions) into the
   data root: the model configs read it.
"""
import os.path as osp
import sys

# run as a script: the folder holding tools/ (a checkout, or an installed
# mmcsted/.mim) goes on the path for the modules tools share (tools.data.*)
if __name__ == '__main__':
    sys.path.insert(0, osp.abspath(__file__ + '/../../../..'))

from tools.data.ref_vos_tree_check import prepare_main


def main(argv=None) -> int:
    return prepare_main('mevis', __doc__.split('\n')[0], argv)


if __name__ == '__main__':
    sys.exit(main())
