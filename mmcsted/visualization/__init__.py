from .actor_seg_visualizer import (ActorSegVisualizer, draw_mask, draw_query,
                                   draw_score, frame_from_clip,
                                   overlay_query_mask)
from .video_writer import OverlayWriter, open_video_writer, source_fps

__all__ = [
    'ActorSegVisualizer', 'draw_mask', 'draw_query', 'draw_score',
    'frame_from_clip', 'overlay_query_mask', 'OverlayWriter',
    'open_video_writer', 'source_fps'
]
