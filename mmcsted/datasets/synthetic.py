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
"""
import csv
import json
import os
import os.path as osp
import shutil
import time
from typing import Dict, List, Optional, Tuple

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
SYNTHETIC_METAINFO = dict(
    actor_classes=SHAPES, action_classes=ACTIONS)

_ING = {
    'moving left': ('moving to the left', 'moving left', 'going left',
                    'sliding to the left'),
    'moving right': ('moving to the right', 'moving right', 'going right',
                     'sliding to the right'),
    'jumping': ('jumping', 'jumping up and down', 'bouncing'),
    'rotating': ('rotating', 'spinning', 'turning around'),
    'standing still': ('standing still', 'not moving', 'staying still'),
}
_THIRD = {
    'moving left': ('moves to the left', 'goes left', 'slides left'),
    'moving right': ('moves to the right', 'goes right', 'slides right'),
    'jumping': ('jumps', 'bounces up and down', 'jumps up and down'),
    'rotating': ('rotates', 'spins', 'turns around'),
    'standing still': ('stays still', 'does not move', 'stands still'),
}
_POSITION = {
    'left': ('on the left', 'on the left side', 'at the left'),
    'right': ('on the right', 'on the right side', 'at the right'),
}
_ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-'
VISIBLE_FRACTION = 0.25  # an instance is annotated where this much shows
FPS = 24


# ----------------------------------------------------------------------------
# Rendering
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
        pts = [np.array([(w, 1), (w, w), (1, w), (1, -w), (w, -w), (w, -1),
                         (-w, -1), (-w, -w), (-1, -w), (-1, w), (-w, w),
                         (-w, 1)], dtype=np.float64)]
    else:
        raise ValueError(f'unknown shape {shape!r}')
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return [p @ rot.T * r + np.array([cx, cy]) for p in pts]


def _raster(shape: str, cx: float, cy: float, r: float, angle: float,
            height: int, width: int) -> np.ndarray:
    canvas = np.zeros((height, width), np.uint8)
    polys = _shape_polygons(shape, cx, cy, r, angle)
    shift = 4  # sub-pixel precision
    ipolys = [np.round((p - 0.5) * (1 << shift)).astype(np.int32)
              for p in polys]
    cv2.fillPoly(canvas, [ipolys[0]], 1, lineType=cv2.LINE_8, shift=shift)
    if len(ipolys) > 1:  # ring hole
        cv2.fillPoly(canvas, [ipolys[1]], 0, lineType=cv2.LINE_8, shift=shift)
    return canvas.astype(bool)


def actor_pose(actor: Dict, t: int) -> Tuple[float, float, float]:
    """(x, y, angle) of an actor at 0-based frame ``t``."""
    x = actor['x0'] + actor['vx'] * t
    y = actor['y0']
    if actor['amp']:
        y -= actor['amp'] * abs(np.sin(np.pi * t / actor['period'] +
                                       actor['phase']))
    return x, y, actor['angle0'] + actor['omega'] * t


def _background(seed: int, height: int, width: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    bg = np.zeros((height, width, 3), np.float32)
    for cells, amp in ((3, 55.0), (7, 25.0), (15, 10.0)):
        gh, gw = cells, max(2, int(round(cells * width / height)))
        noise = rng.uniform(-1, 1, (gh, gw, 3)).astype(np.float32)
        bg += cv2.resize(noise, (width, height),
                         interpolation=cv2.INTER_CUBIC) * amp
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
    ``depth``: larger is nearer).
    """
    actors = sorted(video['actors'], key=lambda a: a['depth'])
    bg = _background(video['bg_seed'], height, width) if with_frames else None
    noise_rng = np.random.default_rng(video['bg_seed'] + 1)
    visible = {a['instance_id']: np.zeros((num_frames, height, width), bool)
               for a in actors}
    frames = np.zeros((num_frames, height, width, 3),
                      np.uint8) if with_frames else None
    for t in range(num_frames):
        drawn = [(a, _raster(a['shape'], *actor_pose(a, t)[:2], a['radius'],
                             actor_pose(a, t)[2], height, width))
                 for a in actors]
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


# ----------------------------------------------------------------------------
# Scene sampling
def _video_id(rng: np.random.Generator, taken: set) -> str:
    while True:
        vid = ''.join(rng.choice(list(_ALNUM), 11))
        if vid not in taken and vid[0] != '-':
            taken.add(vid)
            return vid


def _sample_motion(rng, action: str, r: float, height: int, width: int,
                   num_frames: int) -> Dict:
    span = max(num_frames - 1, 1)
    m = dict(vx=0.0, amp=0.0, period=8.0, phase=0.0, omega=0.0,
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
            m.update(amp=amp, period=float(rng.uniform(6, 10)),
                     phase=float(rng.uniform(0, np.pi)),
                     y0=float(rng.uniform(lo_y + amp, hi_y)))
        else:
            m['y0'] = float(rng.uniform(lo_y, hi_y))
        if action == 'rotating':
            m['omega'] = float(rng.uniform(10, 20) * rng.choice([-1, 1]))
    return m


def _allowed_actions(shape: str) -> List[str]:
    return [a for a in ACTIONS
            if not (a == 'rotating' and shape in ROTATION_INVARIANT)]


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
        twin_actions = [str(a) for a in rng.choice(
            _allowed_actions(apps[0][0]), 2, replace=False)]
    depth = rng.permutation(n)
    for i, (shape, colour, size, is_twin) in enumerate(apps):
        if is_twin:
            action = twin_actions[i]
        else:
            action = str(rng.choice(_allowed_actions(shape)))
        r = base * (0.10 if size == 'small' else 0.17) * float(
            rng.uniform(0.95, 1.05))
        actor = dict(instance_id=i, shape=shape, colour=colour, size=size,
                     action=action, twin=bool(is_twin), radius=r,
                     depth=int(depth[i]))
        actor.update(_sample_motion(rng, action, r, height, width,
                                    num_frames))
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
            full = _raster(a['shape'], *actor_pose(a, f - 1)[:2], a['radius'],
                           actor_pose(a, f - 1)[2], *visible[
                               a['instance_id']].shape[1:])
            vis = visible[a['instance_id']][f - 1].sum()
            if vis >= 4 and vis >= VISIBLE_FRACTION * max(full.sum(), 1):
                ids.append(a['instance_id'])
        out[f] = ids
    return out


# ----------------------------------------------------------------------------
# Queries
def _position_side(actor, actors, frames, visible_ids) -> Optional[str]:
    """'left'/'right' if the actor is clearly the left/rightmost one in
    every annotated frame where it shows (centres apart by >= its radius)."""
    sides = set()
    for f in frames:
        if actor['instance_id'] not in visible_ids[f]:
            continue
        x = actor_pose(actor, f - 1)[0]
        others = [actor_pose(o, f - 1)[0] for o in actors if o is not actor]
        margin = actor['radius']
        if all(x < ox - margin for ox in others):
            sides.add('left')
        elif all(x > ox + margin for ox in others):
            sides.add('right')
        else:
            return None
    return sides.pop() if len(sides) == 1 else None


def _matches(o, mention: Dict) -> bool:
    return all(o[k] == v for k, v in mention.items())


def _make_query(rng, actor, actors, frames, visible_ids) -> Dict:
    twin = actor['twin']
    mention = dict(shape=actor['shape'], colour=actor['colour'])
    if not twin and rng.random() < 0.2:
        del mention['colour']
    if rng.random() < 0.3:
        mention['size'] = actor['size']
    use_action = twin or rng.random() < 0.5
    if use_action:
        mention['action'] = actor['action']
    # add what is needed for the query to name exactly one actor
    for key in ('colour', 'size', 'action'):
        if sum(_matches(o, mention) for o in actors) == 1:
            break
        mention[key] = actor[key]
    assert sum(_matches(o, mention) for o in actors) == 1, 'ambiguous query'
    use_action = 'action' in mention
    side = None
    if not twin and rng.random() < 0.5:
        side = _position_side(actor, actors, frames, visible_ids)

    words = [w for w in (mention.get('size'), mention.get('colour'),
                         actor['shape']) if w]
    desc = ' '.join(words)
    det = str(rng.choice(['the', 'a', '']))
    if det == 'a' and desc[0] in 'aeiou':
        det = 'an'
    pos = (' ' + str(rng.choice(_POSITION[side]))) if side else ''
    if use_action:
        template = int(rng.integers(5))
        ing = str(rng.choice(_ING[actor['action']]))
        third = str(rng.choice(_THIRD[actor['action']]))
        text = [f'{det} {desc}{pos} is {ing}', f'{det} {desc}{pos} {ing}',
                f'{det} {desc}{pos} that {third}',
                f'{det} {desc}{pos} which is {ing}',
                f'{det} {desc}{pos}, {ing}'][template]
    else:
        template = 5
        text = f'{det} {desc}{pos}'
    text = ' '.join(text.split()).replace(' ,', ',')
    return dict(
        query=text,
        twin=twin,
        mentions_action=use_action,
        mentions_size='size' in mention,
        mentions_colour='colour' in mention,
        position_word=side,
        template=template,
        target_shape=actor['shape'],
        target_colour=actor['colour'],
        target_size=actor['size'],
        target_action=actor['action'])


# ----------------------------------------------------------------------------
def _write_h5(path: str, ids: List[int], masks: List[np.ndarray],
              labels: List[int]) -> None:
    import h5py
    with h5py.File(path, 'w') as f:
        f.create_dataset('instance', data=np.asarray(ids, np.float64))
        # transposed: (N, W, H), or (W, H) for a single instance
        stack = np.stack([m.T for m in masks]).astype(np.uint8)
        f.create_dataset(
            'reMask', data=stack[0] if len(masks) == 1 else stack,
            compression='gzip')
        boxes = []
        for m in masks:
            ys, xs = np.nonzero(m)
            boxes.append([xs.min(), ys.min(), xs.max(), ys.max()])
        f.create_dataset('reBBox', data=np.asarray(boxes, np.float64).T)
        f.create_dataset('id', data=np.asarray([labels], np.float64))


def _label(actor) -> int:
    return (SHAPES.index(actor['shape']) + 1) * 10 + ACTIONS.index(
        actor['action']) + 1


def generate(out_dir: str,
             num_videos: int = 640,
             height: int = 64,
             width: int = 80,
             num_frames: int = 24,
             seed: int = 0,
             test_ratio: float = 0.25,
             min_actors: int = 2,
             max_actors: int = 4,
             twin_prob: float = 0.65,
             num_missed: int = 2,
             copy_quirk: bool = True,
             overwrite: bool = False,
             progress: bool = False) -> Dict:
    """Write a synthetic A2D Sentences tree into ``out_dir``.

    Returns the summary also stored in ``generator_meta.json`` (without the
    per-video/per-query lists): parameters, counts and generation time.
    """
    t0 = time.perf_counter()
    if height % 2 or width % 2:
        raise ValueError(f'height and width must be even (mp4), got '
                         f'{height} x {width}')
    if not 2 <= min_actors <= max_actors:
        raise ValueError('need 2 <= min_actors <= max_actors')
    if num_frames < 3:
        raise ValueError('num_frames must be >= 3')
    if num_videos < 4 + num_missed:
        raise ValueError(f'num_videos must be >= {4 + num_missed}')
    params = dict(num_videos=num_videos, height=height, width=width,
                  num_frames=num_frames, seed=seed, test_ratio=test_ratio,
                  min_actors=min_actors, max_actors=max_actors,
                  twin_prob=twin_prob, num_missed=num_missed,
                  copy_quirk=copy_quirk, fps=FPS)
    produced = ('Release', 'text_annotations', 'vocab.json',
                'generator_meta.json', 'mmcsted_cache')
    if any(osp.exists(osp.join(out_dir, p)) for p in produced):
        if not overwrite:
            raise FileExistsError(f'{out_dir} already holds a dataset; pass '
                                  'overwrite=True (--overwrite) to replace it')
        for p in produced:
            p = osp.join(out_dir, p)
            if osp.isdir(p):
                shutil.rmtree(p)
            elif osp.exists(p):
                os.remove(p)
    clip_dir = osp.join(out_dir, 'Release', 'clips320H')
    text_dir = osp.join(out_dir, 'text_annotations')
    mask_root = osp.join(text_dir, 'a2d_annotation_with_instances')
    for d in (clip_dir, mask_root):
        os.makedirs(d, exist_ok=True)

    rng = np.random.default_rng(seed)
    taken: set = set()
    vids = [_video_id(rng, taken) for _ in range(num_videos)]
    n_test = max(1, int(round(num_videos * test_ratio)))
    order = rng.permutation(num_videos)
    subset = {vids[i]: (1 if k < n_test else 0) for k, i in enumerate(order)}
    missed = set(str(v) for v in rng.choice(vids, num_missed, replace=False))

    videos_meta, queries, videoset_rows = {}, [], []
    iterator = vids
    if progress:
        from tqdm import tqdm
        iterator = tqdm(vids, desc='rendering videos', unit='video')
    for vid in iterator:
        for _attempt in range(50):
            actors = _sample_actors(rng, height, width, num_frames,
                                    min_actors, max_actors, twin_prob)
            frames_ann = _annotated_frames(rng, num_frames)
            video = dict(subset=subset[vid], missed=vid in missed,
                         bg_seed=int(rng.integers(2**31)), actors=actors,
                         annotated_frames=frames_ann)
            _, visible = render_video(video, height, width, num_frames,
                                      with_frames=False)
            vis_ids = _visible_per_frame(actors, visible, frames_ann)
            shown = set(i for ids in vis_ids.values() for i in ids)
            if len(shown) == len(actors) and all(vis_ids.values()):
                break  # every actor is annotated somewhere, no empty frame
        video['visible'] = {str(f): ids for f, ids in vis_ids.items()}
        frames, visible = render_video(video, height, width, num_frames)

        writer = cv2.VideoWriter(
            osp.join(clip_dir, f'{vid}.mp4'), cv2.VideoWriter_fourcc(*'mp4v'),
            FPS, (width, height))
        if not writer.isOpened():
            raise RuntimeError('OpenCV cannot write mp4v videos here')
        for img in frames:
            writer.write(cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
        writer.release()

        vdir = osp.join(mask_root, vid)
        os.makedirs(vdir, exist_ok=True)
        by_id = {a['instance_id']: a for a in actors}
        for f, ids in vis_ids.items():
            _write_h5(
                osp.join(vdir, f'{f:05d}.h5'), ids,
                [visible[i][f - 1] for i in ids],
                [_label(by_id[i]) for i in ids])

        videoset_rows.append([
            vid, _label(actors[0]), 0, f'{num_frames / FPS:.2f}', height,
            width, num_frames, len(frames_ann), subset[vid]
        ])
        videos_meta[vid] = video
        if vid in missed:
            continue  # missed videos have no sentences
        for a in actors:
            if a['instance_id'] not in shown:
                continue
            q = _make_query(rng, a, actors, frames_ann, vis_ids)
            q.update(video_id=vid, instance_id=a['instance_id'],
                     split='test' if subset[vid] else 'train',
                     num_samples=sum(a['instance_id'] in ids
                                     for ids in vis_ids.values()))
            queries.append(q)

    with open(osp.join(out_dir, 'Release', 'videoset.csv'), 'w',
              newline='') as f:
        csv.writer(f).writerows(videoset_rows)
    rows = [[q['video_id'], str(q['instance_id']), q['query']]
            for q in queries]
    copy_row = None
    if copy_quirk:  # the release's "1 (copy)" row, duplicating instance 1
        for q in queries:
            if q['split'] == 'train' and q['instance_id'] == 1:
                copy_row = [q['video_id'], '1 (copy)', q['query']]
                rows.insert(queries.index(q) + 1, copy_row)
                break
    with open(osp.join(text_dir, 'a2d_annotation.txt'), 'w',
              newline='') as f:
        w = csv.writer(f)
        w.writerow(['video_id', 'instance_id', 'query'])
        w.writerows(rows)
    with open(osp.join(text_dir, 'a2d_missed_videos.txt'), 'w') as f:
        f.write(''.join(f'{v}\n' for v in sorted(missed)))

    from mmcsted.models.text_encoders.vocabulary import WordVocabulary
    train_queries = [q['query'] for q in queries if q['split'] == 'train']
    vocab = WordVocabulary.build(train_queries)
    vocab.dump(osp.join(out_dir, 'vocab.json'))

    n_twin = sum(q['twin'] for q in queries)
    counts = dict(
        videos=num_videos,
        train_videos=sum(1 for v in vids if subset[v] == 0),
        test_videos=sum(1 for v in vids if subset[v] == 1),
        missed_videos=len(missed),
        queries=len(queries),
        train_queries=len(train_queries),
        test_queries=len(queries) - len(train_queries),
        twin_queries=n_twin,
        twin_fraction=round(n_twin / max(len(queries), 1), 4),
        position_queries=sum(bool(q['position_word']) for q in queries),
        train_samples=sum(q['num_samples'] for q in queries
                          if q['split'] == 'train'),
        test_samples=sum(q['num_samples'] for q in queries
                         if q['split'] == 'test'),
        vocab_size=len(vocab))
    seconds = round(time.perf_counter() - t0, 3)
    summary = dict(
        generator='mmcsted.datasets.synthetic', format=1, params=params,
        actor_classes=list(SHAPES), action_classes=list(ACTIONS),
        colours=COLOURS, counts=counts, generation_seconds=seconds,
        copy_row=copy_row)
    meta = dict(summary, videos=videos_meta, queries=queries)
    with open(osp.join(out_dir, 'generator_meta.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    return summary


def load_meta(data_root: str) -> Dict:
    with open(osp.join(data_root, 'generator_meta.json')) as f:
        return json.load(f)


def query_flags(meta: Dict) -> Dict[Tuple[str, int, str], Dict]:
    """``{(video_id, instance_id, query): flags}`` to break metrics down."""
    return {(q['video_id'], q['instance_id'], q['query']): q
            for q in meta['queries']}


def ground_truth_mask(meta: Dict, video_id: str, instance_id: int,
                      frame_id: int) -> np.ndarray:
    """Re-render the H x W uint8 visible mask of an actor at a 1-based frame
    from the stored scene description (independent of the h5 files)."""
    p = meta['params']
    _, visible = render_video(meta['videos'][video_id], p['height'],
                              p['width'], p['num_frames'], with_frames=False)
    return visible[instance_id][frame_id - 1].astype(np.uint8)
