"""The A2D Sentences tree layout: class names, where each file lives under
``data_root``, and where a video's mp4 or extracted frames are."""
import os
import os.path as osp
from typing import Optional, Tuple

from mmcsted.utils.misc import check_choice

A2D_ACTORS = ('adult', 'baby', 'ball', 'bird', 'car', 'cat', 'dog')
A2D_ACTIONS = ('climbing', 'crawling', 'eating', 'flying', 'jumping',
               'rolling', 'running', 'walking', 'none')

VIDEOSET_FILE = 'Release/videoset.csv'
ANNOTATION_FILE = 'text_annotations/a2d_annotation.txt'
MISSED_FILE = 'text_annotations/a2d_missed_videos.txt'
MASK_DIR = 'text_annotations/a2d_annotation_with_instances'
CLIP_DIR = 'Release/clips320H'
FRAME_DIR = 'Release/frames'
FRAME_TMPL = '{:05d}.jpg'

SPLITS = {'train': 0, 'test': 1}
VIDEO_SOURCES = ('auto', 'mp4', 'frames')


def resolve_frame_root(data_root: str, frame_root: Optional[str]) -> str:
    """The folder holding ``<vid>/<frame:05d>.jpg``: ``frame_root`` (relative
    to ``data_root`` unless absolute), default ``<data_root>/Release/frames``.
    """
    if not frame_root:
        return osp.join(data_root, FRAME_DIR)
    if osp.isabs(frame_root):
        return frame_root
    return osp.join(data_root, frame_root)


def resolve_video_source(
        data_root: str,
        vid: str,
        video_source: str,
        frame_root: Optional[str] = None
) -> Tuple[Optional[str], Optional[str]]:
    """(video_path, frame_dir) for one video; both None if absent.
    ``frame_root``: see :func:`resolve_frame_root`."""
    check_choice('video_source', video_source, VIDEO_SOURCES)
    mp4 = osp.join(data_root, CLIP_DIR, f'{vid}.mp4')
    fdir = osp.join(resolve_frame_root(data_root, frame_root), vid)
    if video_source == 'frames':
        return None, (fdir if osp.isdir(fdir) else None)
    if video_source == 'auto' and osp.isdir(fdir) and os.listdir(fdir):
        return None, fdir
    return (mp4 if osp.isfile(mp4) else None), None
