"""A synthetic benchmark written in the exact A2D Sentences tree layout.

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
HDF5 masks in the transposed official layout) loads through
:class:`~mmcsted.datasets.A2DSentencesDataset` with no special casing; pass
``metainfo=dict(actor_classes=SHAPES, action_classes=ACTIONS)`` to get the
shape/action class names (as ``configs/_base_/datasets/synthetic_a2d.py``).

Use :func:`generate` (or ``tools/data/synthetic/generate.py``). A tool module,
imported as ``tools.data.synthetic`` with the folder holding ``tools/`` on the
path (``generate.py`` puts it there).

The same world can also be written in the Ref-YouTube-VOS tree layout
(:func:`generate_ref_youtube_vos`: palette PNG masks, every 5th frame
listed, the valid/test list trap) and the MeViS layout
(:func:`generate_mevis`: COCO RLE mask_dict, multi-object and no-target
expressions), ``--layout`` in the tool.

Modules by job: ``scene`` (sampling a video's actors and annotated frames),
``render`` (actor poses, frames, visible masks and the ``tracks`` the
pretraining sets read), ``queries`` (the query grammar),
``writer`` (:func:`generate`: the release-layout tree), ``ytvos_writer`` /
``mevis_writer`` (the other layouts, sharing ``video_tree``) and ``meta``
(query flags and masks from ``generator_meta.json``). What the readers need
too (what actors can be and do, reading ``generator_meta.json``) is
:mod:`tools.data.synthetic.world`.
"""
from .meta import ground_truth_mask, query_flags
from .mevis_writer import generate_mevis
from .render import on_screen, render_video
from .scene import VISIBLE_FRACTION
from .video_tree import davis_palette
from .writer import FPS, generate
from .ytvos_writer import generate_ref_youtube_vos

__all__ = [
    'VISIBLE_FRACTION', 'FPS', 'generate', 'query_flags', 'ground_truth_mask',
    'render_video', 'on_screen', 'generate_ref_youtube_vos', 'generate_mevis',
    'davis_palette'
]
