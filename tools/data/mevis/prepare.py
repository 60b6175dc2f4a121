"""Prepare a MeViS tree for training and testing.

    python tools/data/mevis/prepare.py data/mevis

1. check the release (tools/data/mevis/check_release.py; stops on
   a problem unless --force);
2. write ``vocab.json`` (the words of the TRAIN split's expressions) into the
   data root: the model configs read it.
"""
import sys

from mmcsted.datasets.ref_vos_release_check import prepare_main


def main(argv=None) -> int:
    return prepare_main('mevis', __doc__.split('\n')[0], argv)


if __name__ == '__main__':
    sys.exit(main())
