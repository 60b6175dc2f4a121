"""Prepare a Ref-YouTube-VOS tree for training and testing.

    python tools/data/ref_youtube_vos/prepare.py data/ref_youtube_vos

1. check the release (tools/data/ref_youtube_vos/check_release.py; stops on
   a problem unless --force);
2. write ``vocab.json`` (the words of the TRAIN split's expressions) into the
   data root: the model configs read it.
"""
import argparse
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
    from mmcsted.datasets.ref_vos_release_check import prepare_ref_vos_release
    return prepare_ref_vos_release('ref_youtube_vos', args.data_root,
                                   args.vocab_out, args.force)


if __name__ == '__main__':
    sys.exit(main())
