"""A2D Sentences (layout: docs/dataset_prepare.md). Modules: ``tree`` (where
the files are, the text files), ``masks`` (the h5 masks and their cached
index) and ``dataset`` (:class:`A2DSentencesDataset`).
"""
from .dataset import A2DSentencesDataset
from .masks import (MASK_FILE_PATTERN, A2DMaskIndex, load_a2d_mask,
                    read_h5_frame_info)
from .tree import (A2D_ACTIONS, A2D_ACTORS, ANNOTATION_FILE, CLIP_DIR,
                   FRAME_DIR, FRAME_TMPL, MASK_DIR, MISSED_FILE, SPLITS,
                   VIDEOSET_FILE, parse_instance_id, read_a2d_annotations,
                   read_missed_videos, read_videoset, resolve_frame_root,
                   resolve_video_source, unbalanced_quote_rows)

__all__ = [
    'A2D_ACTORS', 'A2D_ACTIONS', 'VIDEOSET_FILE', 'ANNOTATION_FILE',
    'MISSED_FILE', 'MASK_DIR', 'CLIP_DIR', 'FRAME_DIR', 'FRAME_TMPL',
    'MASK_FILE_PATTERN', 'SPLITS', 'read_videoset', 'read_a2d_annotations',
    'read_missed_videos', 'parse_instance_id', 'unbalanced_quote_rows',
    'read_h5_frame_info', 'load_a2d_mask', 'A2DMaskIndex',
    'resolve_frame_root', 'resolve_video_source', 'A2DSentencesDataset'
]
