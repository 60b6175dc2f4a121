"""Rendering of a synthetic scene: actor outlines and poses, rasterised masks,
background texture, the frames plus per-actor visible masks of a video, and
the actors' tracks."""
from typing import Dict, List, Tuple

import cv2
import numpy as np

from .world import COLOURS


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


def on_screen(actor: Dict, t: int) -> bool:
    """Whether an actor is in the scene at 0-based frame ``t``: actors of
    the Ref-YouTube-VOS / MeViS layouts may enter late (``enter``) or leave
    early (``leave``, exclusive); A2D actors have neither key."""
    return actor.get('enter', 0) <= t < actor.get('leave', t + 1)


def _background(seed: int, height: int, width: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    bg = np.zeros((height, width, 3), np.float32)
    for cells, amp in ((3, 55.0), (7, 25.0), (15, 10.0)):
        gh, gw = cells, max(2, int(round(cells * width / height)))
        noise = rng.uniform(-1, 1, (gh, gw, 3)).astype(np.float32)
        bg += cv2.resize(
            noise, (width, height), interpolation=cv2.INTER_CUBIC) * amp
    base = rng.uniform(80, 150, 3).astype(np.float32)
    bg = bg + base
    gray = bg.mean(axis=2, keepdims=True)
    bg = 0.55 * gray + 0.45 * bg  # muted, so the actors stand out
    return np.clip(bg, 0, 255)


def render_video(video: Dict,
                 height: int,
                 width: int,
                 num_frames: int,
                 with_frames: bool = True):
    """Render one video from its ``generator_meta.json`` entry.

    Returns ``(frames, visible)``: frames (T, H, W, 3) RGB uint8 (None if
    ``with_frames`` is False) and ``visible[instance_id]`` (T, H, W) bool:
    each actor's pixels not hidden by actors drawn after it (draw order =
    ``depth``: larger is nearer), empty where it is not :func:`on_screen`.
    """
    actors = sorted(video['actors'], key=lambda a: a['depth'])
    bg = _background(video['bg_seed'], height, width) if with_frames else None
    noise_rng = np.random.default_rng(video['bg_seed'] + 1)
    visible = {
        a['instance_id']: np.zeros((num_frames, height, width), bool)
        for a in actors
    }
    frames = np.zeros(
        (num_frames, height, width, 3), np.uint8) if with_frames else None
    for t in range(num_frames):
        drawn = [(a,
                  raster_shape(a['shape'],
                               *actor_pose(a, t)[:2], a['radius'],
                               actor_pose(a, t)[2], height, width))
                 for a in actors if on_screen(a, t)]
        cover = np.zeros((height, width), bool)
        for a, m in reversed(drawn):  # nearest first
            visible[a['instance_id']][t] = m & ~cover
            cover |= m
        if with_frames:
            img = bg + noise_rng.normal(0, 3.0, bg.shape).astype(np.float32)
            for a, m in drawn:  # back to front
                img[m] = np.asarray(COLOURS[a['colour']], np.float32)
            frames[t] = np.clip(img, 0, 255).astype(np.uint8)
    return frames, visible


def actor_tracks(video: Dict, height: int, width: int,
                 num_frames: int) -> Dict[int, Dict[str, list]]:
    """Per actor and frame: the centre ``(x, y)`` and the visible fraction of
    its area (``tracks`` in ``generator_meta.json``, what the pretraining
    sets crop around and choose target frames by).
    """
    actors = sorted(video['actors'], key=lambda a: a['depth'])
    out = {a['instance_id']: dict(centres=[], visible=[]) for a in actors}
    # each shape's whole area (also where it leaves the frame), drawn alone
    # on a canvas large enough to hold it
    area = {}
    for a in actors:
        side = int(np.ceil(a['radius'] * 3)) + 2
        area[a['instance_id']] = max(
            float(
                raster_shape(a['shape'], side / 2, side / 2, a['radius'],
                             a['angle0'], side, side).sum()), 1.0)
    for t in range(num_frames):
        poses = [actor_pose(a, t) for a in actors]
        masks = [
            raster_shape(a['shape'], x, y, a['radius'], ang, height, width)
            for a, (x, y, ang) in zip(actors, poses)
        ]
        cover = np.zeros((height, width), bool)
        for a, (x, y, _), m in reversed(list(zip(actors, poses, masks))):
            vis = float((m & ~cover).sum())
            out[a['instance_id']]['centres'].append([float(x), float(y)])
            out[a['instance_id']]['visible'].append(
                round(min(vis / area[a['instance_id']], 1.0), 4))
            cover |= m
    return out
