"""Say what is missing or malformed in an A2D Sentences tree.

    python tools/data/a2d_sentences/check_tree.py data/a2d [--deep]

Exits 1 when something required is missing (files are named, up to --limit
per kind, with counts), 0 otherwise.
"""
import os.path as osp
import sys

# run as a script: the folder holding tools/ (a checkout, or an installed
# mmcsted/.mim) goes on the path for the modules tools share (tools.data.*)
if __name__ == '__main__':
    sys.path.insert(0, osp.abspath(__file__ + '/../../../..'))

from tools.data.tree_check import (check_a2d_tree, print_report,
                                   tree_check_parser)


def parse_args(argv=None):
    p = tree_check_parser(__doc__, 'folder holding Release/ and '
                          'text_annotations/')
    p.add_argument(
        '--video-source',
        default='auto',
        choices=['auto', 'mp4', 'frames'],
        help='where videos are expected (default: mp4 or '
        'extracted frames)')
    p.add_argument(
        '--deep',
        action='store_true',
        help='also read every mask file to its end and open every '
        'video (slow; the masks are read each time, so that a '
        'file damaged since the last run is found)')
    p.add_argument(
        '--cache-dir',
        default=None,
        help='where the mask-index cache lives (--deep updates it)')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    report = check_a2d_tree(
        args.data_root,
        video_source=args.video_source,
        deep=args.deep,
        limit=args.limit,
        cache_dir=args.cache_dir)
    return print_report(report)


if __name__ == '__main__':
    sys.exit(main())
