from .actor_seg_visualizer import (ActorSegVisualizer, draw_mask, draw_query,
                                   draw_score, frame_from_clip,
                                   overlay_query_mask)

__all__ = [
    'ActorSegVisualizer', 'draw_mask', 'draw_query', 'draw_score',
    'frame_from_clip', 'overlay_query_mask'
]
