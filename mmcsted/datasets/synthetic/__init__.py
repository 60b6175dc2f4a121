"""A synthetic benchmark written in the exact A2D Sentences release layout.

Small coloured shapes ("actors") move on a smooth textured background. Each
actor has an appearance (shape, colour, size) and an action with its own
motion: moving left, moving right, jumping (up and down), rotating, standing
still. Still and moving actors sit at random fixed angles, and jumpers are
anywhere on their bounce in a given frame, so a single frame cannot tell
rotating from still or jumping from still: only the clip can.

Many videos hold a *twin* pair: two identical-looking actors doing different
actions. Their queries name appearance + action and no position word, so only
motion tells them apart (``twin`` flag in ``generator_meta.json``). The other
actors differ from everyone else in appearance.

The tree (``Release/videoset.csv``, ``Release/clips320H/*.mp4``,
``text_annotations/a2d_annotation.txt``, ``a2d_missed_videos.txt``, per-frame
HDF5 masks in the transposed release layout) loads through
:class:`~mmcsted.datasets.A2DSentencesDataset` with no special casing; pass
``metainfo=SYNTHETIC_METAINFO`` to get the shape/action class names.

Use :func:`generate` (or ``tools/data/synthetic/generate.py``).

Modules by job: ``classes`` (what actors can be and do), ``scene`` (sampling
a video's actors and annotated frames), ``render`` (frames and visible
masks), ``queries`` (the query grammar), ``writer`` (:func:`generate`: the
release-layout tree) and ``meta`` (reading ``generator_meta.json`` back).
"""
from .classes import (ACTIONS, COLOURS, ROTATION_INVARIANT, SHAPES, SIZES,
                      SYNTHETIC_METAINFO)
from .meta import ground_truth_mask, load_meta, query_flags
# _raster is private but synthetic_pretrain draws its crops with it
from .render import _raster, actor_pose, render_video  # noqa: F401
from .scene import VISIBLE_FRACTION
from .writer import FPS, generate

__all__ = [
    'ACTIONS', 'COLOURS', 'ROTATION_INVARIANT', 'SHAPES', 'SIZES',
    'SYNTHETIC_METAINFO', 'VISIBLE_FRACTION', 'FPS', 'generate', 'load_meta',
    'query_flags', 'ground_truth_mask', 'render_video', 'actor_pose'
]
