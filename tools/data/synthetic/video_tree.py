"""What the Ref-YouTube-VOS and MeViS layouts share: scenes whose actors
may enter late or leave early, checked on the listed frames; JPEG frames;
index PNGs with the DAVIS palette; split assignment; the output guard and
``generator_meta.json``."""
import json
import os
import os.path as osp
import shutil
from typing import Dict, List, Sequence, Tuple

import numpy as np
from PIL import Image

from mmcsted.utils.atomic_write import atomic_write
from .queries import _make_query
from .render import render_video
from .scene import _sample_actors, _visible_per_frame
from .world import ACTIONS, COLOURS, SHAPES

_HEX = '0123456789abcdef'
JPEG_QUALITY = 90


def davis_palette() -> List[int]:
    """The 256-colour palette of DAVIS / PASCAL VOC index PNGs (1 = dark
    red, 2 = green, 3 = olive, ...): bit k of the index sets bit 7 - k // 3
    of red, green or blue."""
    palette = []
    for index in range(256):
        rgb = [0, 0, 0]
        for bit in range(24):
            if index >> bit & 1:
                rgb[bit % 3] |= 1 << (7 - bit // 3)
        palette += rgb
    return palette


def hex_video_id(rng: np.random.Generator, taken: set, length: int) -> str:
    """YouTube-VOS style ids: lower-case hex ('003234408d')."""
    while True:
        vid = ''.join(rng.choice(list(_HEX), length))
        if vid not in taken:
            taken.add(vid)
            return vid


def hex_video_ids(rng: np.random.Generator, num: int,
                  length: int) -> List[str]:
    """``num`` distinct :func:`hex_video_id` ids, drawn in order."""
    taken: set = set()
    return [hex_video_id(rng, taken, length) for _ in range(num)]


def video_progress(vids: List[str], progress: bool):
    """``vids``, under a tqdm bar with ``progress``."""
    if not progress:
        return vids
    from tqdm import tqdm
    return tqdm(vids, desc='rendering videos', unit='video')


def assign_splits(rng, vids: List[str],
                  sizes: Sequence[Tuple[str, int]]) -> Dict[str, str]:
    """Random split per video: ``sizes`` = [(split, count), ...] for all
    but the first split, which takes the rest."""
    order = [vids[i] for i in rng.permutation(len(vids))]
    out, k = {}, 0
    for split, n in sizes[1:]:
        for v in order[k:k + n]:
            out[v] = split
        k += n
    for v in order[k:]:
        out[v] = sizes[0][0]
    return out


def sample_tree_scene(rng, params: Dict, listed: List[int]):
    """A scene (``generator_meta.json`` entry) whose every actor shows
    (:data:`~.scene.VISIBLE_FRACTION`) in at least one listed frame; some
    actors enter late or leave early (``exit_prob``), so they are absent
    from some frames. ``listed``: 0-based dense frame indices.

    Returns ``(video, frames, visible, vis_ids)``: the rendered frames and
    visible masks of all dense frames, ``vis_ids`` {listed frame: ids}.
    """
    h, w, n = params['height'], params['width'], params['num_frames']
    for _attempt in range(50):
        actors = _sample_actors(rng, h, w, n, params['min_actors'],
                                params['max_actors'], params['twin_prob'])
        for a in actors:
            if rng.random() < params['exit_prob']:
                cut = int(rng.integers(n // 4, 3 * n // 4 + 1))
                a['enter' if rng.random() < 0.5 else 'leave'] = max(cut, 1)
        video = dict(bg_seed=int(rng.integers(2**31)), actors=actors)
        _, visible = render_video(video, h, w, n, with_frames=False)
        # _visible_per_frame counts 1-based frames
        vis_ids = {
            f - 1: ids
            for f, ids in _visible_per_frame(actors, visible,
                                             [t + 1 for t in listed]).items()
        }
        shown = set(i for ids in vis_ids.values() for i in ids)
        if len(shown) == len(actors):
            break
    frames, visible = render_video(video, h, w, n)
    video['listed_frames'] = [int(t) for t in listed]
    return video, frames, visible, vis_ids


def render_tree_video(rng, params: Dict, listed: List[int], split: str,
                      jpeg_dir: str):
    """:func:`sample_tree_scene` with ``split`` set in its entry, the
    listed frames written as JPEGs into ``jpeg_dir``; returns ``(video,
    visible, vis_ids)``."""
    video, frames, visible, vis_ids = sample_tree_scene(rng, params, listed)
    video['split'] = split
    write_jpegs(jpeg_dir, frames, listed)
    return video, visible, vis_ids


def cstm_query(rng, actor: Dict, actors: List[Dict], listed: List[int],
               vis_ids: Dict[int, List[int]]) -> Dict:
    """A single-object query (the A2D grammar) over the listed frames."""
    # the position grammar works on 1-based frames
    vis_1 = {t + 1: ids for t, ids in vis_ids.items()}
    return _make_query(rng, actor, actors, [t + 1 for t in listed], vis_1)


def frame_name(t: int) -> str:
    """Release frame names are the 0-based original frame number."""
    return f'{t:05d}'


def write_jpegs(vdir: str, frames: np.ndarray, listed: List[int]) -> None:
    os.makedirs(vdir, exist_ok=True)
    for t in listed:
        Image.fromarray(frames[t]).save(
            osp.join(vdir,
                     frame_name(t) + '.jpg'), quality=JPEG_QUALITY)


def index_map(actors: List[Dict], visible: Dict, t: int,
              object_id) -> np.ndarray:
    """H x W uint8: ``object_id(actor)`` on its visible pixels, 0 elsewhere
    (visible masks never overlap)."""
    first = next(iter(visible.values()))
    label = np.zeros(first.shape[1:], np.uint8)
    for a in actors:
        label[visible[a['instance_id']][t]] = object_id(a)
    return label


def write_index_png(path: str, label: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = Image.frombytes('P', label.shape[::-1], label.tobytes())
    img.putpalette(davis_palette())
    img.save(path)


def clear_out_dir(out_dir: str, produced: Sequence[str],
                  overwrite: bool) -> None:
    """Refuse to write over a dataset unless ``overwrite``; then remove what
    a previous run produced (and nothing else)."""
    if not any(osp.exists(osp.join(out_dir, p)) for p in produced):
        return
    if not overwrite:
        raise FileExistsError(f'{out_dir} already holds a dataset; pass '
                              'overwrite=True (--overwrite) to replace it')
    for p in produced:
        p = osp.join(out_dir, p)
        if osp.isdir(p):
            shutil.rmtree(p)
        elif osp.exists(p):
            os.remove(p)


def check_params(params: Dict, min_videos: int) -> None:
    if not 2 <= params['min_actors'] <= params['max_actors']:
        raise ValueError('need 2 <= min_actors <= max_actors')
    if params['num_frames'] < 3:
        raise ValueError('num_frames must be >= 3')
    if params['num_videos'] < min_videos:
        raise ValueError(f'num_videos must be >= {min_videos}')


def dump_json(path: str, obj) -> None:
    """Compact, key order as built: the same seed gives the same bytes."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f)


def write_generator_meta(out_dir: str, params: Dict, counts: Dict,
                         seconds: float, lists: Dict, **fields) -> Dict:
    """``generator_meta.json`` of any layout (readable with
    :func:`~.meta.load_meta`; :func:`~.meta.ground_truth_mask` re-renders
    any actor), written last and atomically: a tree that has it is complete
    (the main job regenerates one without it). ``fields``: the layout's own
    summary fields (``layout``, ``copy_row``); ``lists``: its per-video and
    per-query lists. Returns the summary (without the lists)."""
    summary = dict(
        generator='tools/data/synthetic',
        format=1,
        params=params,
        actor_classes=list(SHAPES),
        action_classes=list(ACTIONS),
        colours=COLOURS,
        counts=counts,
        generation_seconds=seconds,
        **fields)
    with atomic_write(osp.join(out_dir, 'generator_meta.json'), 'w') as f:
        json.dump(dict(summary, **lists), f, indent=1)
    return summary
