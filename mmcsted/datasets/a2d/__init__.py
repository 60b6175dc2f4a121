"""A2D Sentences (layout: docs/dataset_prepare.md). Modules: ``layout``,
``parsers`` (text files), ``mask_files`` (h5 masks), ``mask_index`` (their
cached content) and ``dataset`` (:class:`A2DSentencesDataset`).
"""
from .dataset import A2DSentencesDataset
from .layout import (A2D_ACTIONS, A2D_ACTORS, ANNOTATION_FILE, CLIP_DIR,
                     FRAME_DIR, FRAME_TMPL, MASK_DIR, MISSED_FILE, SPLITS,
                     VIDEOSET_FILE, resolve_frame_root, resolve_video_source)
from .mask_files import load_a2d_mask, read_h5_frame_info
from .mask_index import (INDEX_FILE, INDEX_FORMAT, MASK_FILE_PATTERN,
                         A2DMaskIndex)
from .parsers import (QueryRow, SampleListRow, VideoRecord, parse_instance_id,
                      read_a2d_annotations, read_missed_videos,
                      read_sample_list, read_videoset, split_label,
                      unbalanced_quote_rows)

__all__ = [
    'A2D_ACTORS', 'A2D_ACTIONS', 'VIDEOSET_FILE', 'ANNOTATION_FILE',
    'MISSED_FILE', 'MASK_DIR', 'CLIP_DIR', 'FRAME_DIR', 'FRAME_TMPL',
    'INDEX_FILE', 'INDEX_FORMAT', 'MASK_FILE_PATTERN', 'SPLITS', 'VideoRecord',
    'QueryRow', 'SampleListRow', 'read_videoset', 'read_a2d_annotations',
    'read_missed_videos', 'read_sample_list', 'parse_instance_id',
    'unbalanced_quote_rows', 'split_label', 'read_h5_frame_info',
    'load_a2d_mask', 'A2DMaskIndex', 'resolve_frame_root',
    'resolve_video_source', 'A2DSentencesDataset'
]
