"""Rendering of a synthetic scene: actor outlines, rasterised masks,
background texture, and the frames plus per-actor visible masks of a video."""
from typing import Dict

import cv2
import numpy as np

from mmcsted.datasets.synthetic import COLOURS, actor_pose, raster_shape


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
