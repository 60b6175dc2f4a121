"""Scene sampling: video ids, actors (appearance, action, motion, depth), the
annotated frames and which actors show enough in each of them."""
from typing import Dict, List, Set, Tuple

import numpy as np

from .render import actor_pose, raster_shape, render_video
from .world import ACTIONS, COLOURS, SHAPES, SIZES

_ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-'
VISIBLE_FRACTION = 0.25  # an instance is annotated where this much shows
# Rotation does not show on these shapes, so they never rotate.
ROTATION_INVARIANT = ('circle', 'ring')


def _video_id(rng: np.random.Generator, taken: set) -> str:
    while True:
        vid = ''.join(rng.choice(list(_ALNUM), 11))
        if vid not in taken and vid[0] != '-':
            taken.add(vid)
            return vid


def _sample_motion(rng, action: str, r: float, height: int, width: int,
                   num_frames: int) -> Dict:
    span = max(num_frames - 1, 1)
    m = dict(
        vx=0.0,
        amp=0.0,
        period=8.0,
        phase=0.0,
        omega=0.0,
        angle0=float(rng.uniform(0, 360)))
    lo_x, hi_x = r, width - r
    lo_y, hi_y = r, height - r
    if action in ('moving left', 'moving right'):
        speed = float(rng.uniform(0.012, 0.022)) * width
        speed = min(speed, (hi_x - lo_x) / span)
        travel = speed * span
        start = float(rng.uniform(lo_x, hi_x - travel)) if hi_x - travel > \
            lo_x else lo_x
        if action == 'moving right':
            m.update(x0=start, vx=speed)
        else:
            m.update(x0=start + travel, vx=-speed)
        m['y0'] = float(rng.uniform(lo_y, hi_y))
    else:
        m['x0'] = float(rng.uniform(lo_x, hi_x))
        if action == 'jumping':
            amp = float(rng.uniform(0.15, 0.25)) * height
            amp = min(amp, max(hi_y - lo_y - 1, 1.0))
            m.update(
                amp=amp,
                period=float(rng.uniform(6, 10)),
                phase=float(rng.uniform(0, np.pi)),
                y0=float(rng.uniform(lo_y + amp, hi_y)))
        else:
            m['y0'] = float(rng.uniform(lo_y, hi_y))
        if action == 'rotating':
            m['omega'] = float(rng.uniform(10, 20) * rng.choice([-1, 1]))
    return m


def _allowed_actions(shape: str) -> List[str]:
    return [
        a for a in ACTIONS
        if not (a == 'rotating' and shape in ROTATION_INVARIANT)
    ]


def _sample_appearances(rng, n: int,
                        twin: bool) -> List[Tuple[str, str, str, bool]]:
    """(shape, colour, size, is_twin) per actor; twins share appearance,
    all other appearances are unique; distractors often share one or two
    attributes with another actor so that every word matters."""
    colours = list(COLOURS)
    out: List[Tuple[str, str, str, bool]] = []
    if twin:
        app = (str(rng.choice(SHAPES)), str(rng.choice(colours)),
               str(rng.choice(SIZES)))
        out += [app + (True, ), app + (True, )]
    while len(out) < n:
        if out and rng.random() < 0.6:  # near miss of an existing actor
            ref = out[int(rng.integers(len(out)))]
            app = list(ref[:3])
            k = int(rng.integers(3))
            app[k] = str(rng.choice([SHAPES, colours, SIZES][k]))
            app = tuple(app)
        else:
            app = (str(rng.choice(SHAPES)), str(rng.choice(colours)),
                   str(rng.choice(SIZES)))
        if any(app == o[:3] for o in out):
            continue
        out.append(app + (False, ))
    return out


def _sample_actors(rng, height: int, width: int, num_frames: int,
                   min_actors: int, max_actors: int,
                   twin_prob: float) -> List[Dict]:
    n = int(rng.integers(min_actors, max_actors + 1))
    twin = n >= 2 and rng.random() < twin_prob
    apps = _sample_appearances(rng, n, twin)
    base = min(height, width)
    actors = []
    twin_actions = None
    if twin:
        twin_actions = [
            str(a) for a in rng.choice(
                _allowed_actions(apps[0][0]), 2, replace=False)
        ]
    depth = rng.permutation(n)
    for i, (shape, colour, size, is_twin) in enumerate(apps):
        if is_twin:
            action = twin_actions[i]
        else:
            action = str(rng.choice(_allowed_actions(shape)))
        r = base * (0.10 if size == 'small' else 0.17) * float(
            rng.uniform(0.95, 1.05))
        actor = dict(
            instance_id=i,
            shape=shape,
            colour=colour,
            size=size,
            action=action,
            twin=bool(is_twin),
            radius=r,
            depth=int(depth[i]))
        actor.update(_sample_motion(rng, action, r, height, width, num_frames))
        actors.append(actor)
    order = rng.permutation(n)  # twins are not always instances 0 and 1
    actors = [actors[j] for j in order]
    for i, a in enumerate(actors):
        a['instance_id'] = i
    return actors


def _annotated_frames(rng, num_frames: int) -> List[int]:
    k = int(rng.integers(3, 6))
    k = min(k, num_frames)
    edges = np.linspace(1, num_frames + 1, k + 1)
    frames = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        lo_i, hi_i = int(np.ceil(lo)), int(np.ceil(hi)) - 1
        frames.append(int(rng.integers(lo_i, max(hi_i, lo_i) + 1)))
    return sorted(set(frames))


def _visible_per_frame(actors, visible, frames) -> Dict[int, List[int]]:
    out = {}
    for f in frames:
        ids = []
        for a in actors:
            full = raster_shape(a['shape'],
                                *actor_pose(a, f - 1)[:2], a['radius'],
                                actor_pose(a, f - 1)[2],
                                *visible[a['instance_id']].shape[1:])
            vis = visible[a['instance_id']][f - 1].sum()
            if vis >= 4 and vis >= VISIBLE_FRACTION * max(full.sum(), 1):
                ids.append(a['instance_id'])
        out[f] = ids
    return out


def sample_video(
        rng, subset: int, missed: bool, height: int, width: int,
        num_frames: int, min_actors: int, max_actors: int,
        twin_prob: float) -> Tuple[Dict, Dict[int, List[int]], Set[int]]:
    """One video's scene (its ``generator_meta.json`` entry), the actors
    visible in each annotated frame and the ids shown in any of them.

    Redrawn (up to 50 times) until every actor is annotated somewhere and no
    annotated frame is empty; the last draw is kept otherwise.
    """
    for _attempt in range(50):
        actors = _sample_actors(rng, height, width, num_frames, min_actors,
                                max_actors, twin_prob)
        frames_ann = _annotated_frames(rng, num_frames)
        video = dict(
            subset=subset,
            missed=missed,
            bg_seed=int(rng.integers(2**31)),
            actors=actors,
            annotated_frames=frames_ann)
        _, visible = render_video(
            video, height, width, num_frames, with_frames=False)
        vis_ids = _visible_per_frame(actors, visible, frames_ann)
        shown = set(i for ids in vis_ids.values() for i in ids)
        if len(shown) == len(actors) and all(vis_ids.values()):
            break
    video['visible'] = {str(f): ids for f, ids in vis_ids.items()}
    return video, vis_ids, shown
