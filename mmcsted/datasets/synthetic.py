"""The synthetic world as its readers see it: what the actors can be and do,
where an actor is at a frame, and a tree's ``generator_meta.json`` (the
generator is ``tools/data/synthetic``).
"""
import json
import os.path as osp
from typing import Dict, List, Tuple

import cv2
import numpy as np

SHAPES = ('circle', 'square', 'triangle', 'star', 'cross', 'ring')
ACTIONS = ('moving left', 'moving right', 'jumping', 'rotating',
           'standing still')
SIZES = ('small', 'big')
COLOURS = {  # RGB
    'red': (220, 40, 40),
    'green': (40, 185, 60),
    'blue': (45, 95, 235),
    'yellow': (240, 215, 40),
    'purple': (155, 60, 210),
    'orange': (250, 135, 25),
    'white': (245, 245, 245),
    'cyan': (40, 215, 215),
}
# Rotation does not show on these shapes, so they never rotate.
ROTATION_INVARIANT = ('circle', 'ring')
SYNTHETIC_METAINFO = dict(actor_classes=SHAPES, action_classes=ACTIONS)


def _shape_polygons(shape: str, cx: float, cy: float, r: float,
                    angle_deg: float) -> List[np.ndarray]:
    """Outline(s) of a shape (x, y float arrays); the ring has two (outer,
    inner) and is drawn with even-odd filling."""
    a = np.deg2rad(angle_deg)
    if shape in ('circle', 'ring'):
        t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        pts = [np.stack([np.cos(t), np.sin(t)], 1)]
        if shape == 'ring':
            pts.append(pts[0] * 0.5)
    elif shape == 'square':
        t = np.deg2rad(45 + 90 * np.arange(4))
        pts = [np.stack([np.cos(t), np.sin(t)], 1) * 0.95]
    elif shape == 'triangle':
        t = np.deg2rad(-90 + 120 * np.arange(3))
        pts = [np.stack([np.cos(t), np.sin(t)], 1) * 1.1]
    elif shape == 'star':
        t = np.deg2rad(-90 + 36 * np.arange(10))
        rad = np.where(np.arange(10) % 2 == 0, 1.15, 0.5)
        pts = [np.stack([np.cos(t) * rad, np.sin(t) * rad], 1)]
    elif shape == 'cross':
        w = 0.36
        pts = [
            np.array([(w, 1), (w, w), (1, w), (1, -w), (w, -w), (w, -1),
                      (-w, -1), (-w, -w), (-1, -w), (-1, w), (-w, w), (-w, 1)],
                     dtype=np.float64)
        ]
    else:
        raise ValueError(f'unknown shape {shape!r}')
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return [p @ rot.T * r + np.array([cx, cy]) for p in pts]


def raster_shape(shape: str, cx: float, cy: float, r: float, angle: float,
                 height: int, width: int) -> np.ndarray:
    """H x W bool mask of a shape of radius ``r`` centred at ``(cx, cy)``,
    turned by ``angle`` degrees."""
    canvas = np.zeros((height, width), np.uint8)
    polys = _shape_polygons(shape, cx, cy, r, angle)
    shift = 4  # sub-pixel precision
    ipolys = [
        np.round((p - 0.5) * (1 << shift)).astype(np.int32) for p in polys
    ]
    cv2.fillPoly(canvas, [ipolys[0]], 1, lineType=cv2.LINE_8, shift=shift)
    if len(ipolys) > 1:  # ring hole
        cv2.fillPoly(canvas, [ipolys[1]], 0, lineType=cv2.LINE_8, shift=shift)
    return canvas.astype(bool)


def actor_pose(actor: Dict, t: int) -> Tuple[float, float, float]:
    """(x, y, angle) of an actor at 0-based frame ``t``."""
    x = actor['x0'] + actor['vx'] * t
    y = actor['y0']
    if actor['amp']:
        y -= actor['amp'] * abs(
            np.sin(np.pi * t / actor['period'] + actor['phase']))
    return x, y, actor['angle0'] + actor['omega'] * t


def load_meta(data_root: str) -> Dict:
    """The ``generator_meta.json`` of a generated tree."""
    with open(osp.join(data_root, 'generator_meta.json')) as f:
        return json.load(f)
