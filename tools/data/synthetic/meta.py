"""What a generated tree's ``generator_meta.json`` tells: the flags of each
query and each actor's mask, re-rendered."""
from typing import Dict, Tuple

import numpy as np

from .render import render_video


def query_flags(meta: Dict) -> Dict[Tuple[str, int, str], Dict]:
    """``{(video_id, instance_id, query): flags}`` to break metrics down."""
    return {
        (q['video_id'], q['instance_id'], q['query']): q
        for q in meta['queries']
    }


def ground_truth_mask(meta: Dict, video_id: str, instance_id: int,
                      frame_id: int) -> np.ndarray:
    """Re-render the H x W uint8 visible mask of an actor at a 1-based frame
    from the stored scene description (independent of the h5 files)."""
    p = meta['params']
    _, visible = render_video(
        meta['videos'][video_id],
        p['height'],
        p['width'],
        p['num_frames'],
        with_frames=False)
    return visible[instance_id][frame_id - 1].astype(np.uint8)
