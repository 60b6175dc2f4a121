"""Writing a synthetic tree in the MeViS release layout::

    {train,valid_u,valid}/JPEGImages/<vid>/<frame>.jpg
    {train,valid_u,valid}/meta_expressions.json
        videos -> vid -> {expressions -> exp_id -> {exp, obj_id: [...],
        anno_id: [...]}, frames}; valid: exp only (its truth is hidden)
    {train,valid_u}/mask_dict.json
        str(anno_id) -> one COCO RLE (counts as str) per listed frame,
        null where the object is not visible
    generator_meta.json

Every frame is listed. ``obj_id`` numbers a video's objects from 0;
``anno_id`` numbers the objects of a split. Expressions are single-object
(the A2D grammar), multi-object (a property the targets share: "the two
squares moving left"; the target is the union of their masks) and
no-target (``obj_id`` and ``anno_id`` empty: an absent look, or a present
look doing an action that no such actor does; MeViS v2).
"""
import os.path as osp
import time
from typing import Dict

import numpy as np

from .queries import _make_query, make_group_query, make_no_target_query
from .scene import _allowed_actions
from .video_release import (assign_splits, check_params, clear_out_dir,
                            dump_json, frame_name, hex_video_id,
                            sample_release_scene, write_generator_meta,
                            write_jpegs)

SPLITS = ('train', 'valid_u', 'valid')
_PRODUCED = SPLITS + ('generator_meta.json', )


def encode_rle(mask: np.ndarray) -> Dict:
    """COCO RLE of a H x W mask, ``counts`` as str (as json stores it)."""
    from pycocotools import mask as mask_utils
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(
        size=[int(s) for s in rle['size']],
        counts=rle['counts'].decode('ascii'))


def generate_mevis(out_dir: str,
                   num_videos: int = 64,
                   height: int = 64,
                   width: int = 80,
                   num_frames: int = 24,
                   seed: int = 0,
                   valid_u_ratio: float = 0.2,
                   valid_ratio: float = 0.2,
                   multi_prob: float = 0.8,
                   no_target_prob: float = 0.5,
                   min_actors: int = 2,
                   max_actors: int = 4,
                   twin_prob: float = 0.65,
                   exit_prob: float = 0.3,
                   overwrite: bool = False,
                   progress: bool = False) -> Dict:
    """Write a synthetic MeViS tree into ``out_dir``.

    Per video: one single-object expression per actor, with probability
    ``multi_prob`` a multi-object one (where two actors share a property)
    and with ``no_target_prob`` a no-target one (0 gives a MeViS v1-like
    tree). Returns the summary stored in ``generator_meta.json``.
    """
    t0 = time.perf_counter()
    params = dict(
        layout='mevis',
        num_videos=num_videos,
        height=height,
        width=width,
        num_frames=num_frames,
        seed=seed,
        valid_u_ratio=valid_u_ratio,
        valid_ratio=valid_ratio,
        multi_prob=multi_prob,
        no_target_prob=no_target_prob,
        min_actors=min_actors,
        max_actors=max_actors,
        twin_prob=twin_prob,
        exit_prob=exit_prob)
    check_params(params, 3)
    clear_out_dir(out_dir, _PRODUCED, overwrite)
    listed = list(range(num_frames))
    names = [frame_name(t) for t in listed]

    rng = np.random.default_rng(seed)
    taken: set = set()
    vids = [hex_video_id(rng, taken, 12) for _ in range(num_videos)]
    n_u = max(1, int(round(num_videos * valid_u_ratio)))
    n_v = max(1, int(round(num_videos * valid_ratio)))
    split = assign_splits(rng, vids, [('train', 0), ('valid_u', n_u),
                                      ('valid', n_v)])

    exp_json = {s: {} for s in SPLITS}
    mask_dict = {s: {} for s in SPLITS[:2]}  # valid has none
    next_anno = {s: 0 for s in SPLITS}
    videos_meta, expressions = {}, []
    iterator = vids
    if progress:
        from tqdm import tqdm
        iterator = tqdm(vids, desc='rendering videos', unit='video')
    for vid in iterator:
        s = split[vid]
        video, frames, visible, vis_ids = sample_release_scene(
            rng, params, listed)
        video['split'] = s
        actors = video['actors']
        write_jpegs(osp.join(out_dir, s, 'JPEGImages', vid), frames, listed)
        anno_of = {}
        for a in actors:
            iid = a['instance_id']
            anno_of[iid] = next_anno[s]
            next_anno[s] += 1
            if s in mask_dict:
                mask_dict[s][str(anno_of[iid])] = [
                    encode_rle(visible[iid][t])
                    if visible[iid][t].any() else None for t in listed
                ]
        video['anno_ids'] = {str(i): n for i, n in anno_of.items()}

        vis_1 = {t + 1: ids for t, ids in vis_ids.items()}
        queries = []
        for a in actors:
            q = _make_query(rng, a, actors, [t + 1 for t in listed], vis_1)
            q.update(kind='single', instance_ids=[a['instance_id']])
            queries.append(q)
        if rng.random() < multi_prob:
            q = make_group_query(rng, actors)
            if q is not None:
                queries.append(q)
        if rng.random() < no_target_prob:
            queries.append(make_no_target_query(rng, actors, _allowed_actions))
        entries = {}
        for q in queries:
            exp_id = str(len(entries))
            entry = dict(exp=q['query'])
            if s != 'valid':  # valid's truth is hidden
                entry['obj_id'] = list(q['instance_ids'])
                entry['anno_id'] = [anno_of[i] for i in q['instance_ids']]
            entries[exp_id] = entry
            q.update(
                video_id=vid,
                exp_id=exp_id,
                split=s,
                anno_ids=[anno_of[i] for i in q['instance_ids']])
            expressions.append(q)
        exp_json[s][vid] = dict(expressions=entries, frames=names)
        videos_meta[vid] = video

    for s in SPLITS:
        dump_json(
            osp.join(out_dir, s, 'meta_expressions.json'),
            dict(videos=exp_json[s]))
        if s in mask_dict:
            dump_json(osp.join(out_dir, s, 'mask_dict.json'), mask_dict[s])

    counts = dict(videos=num_videos)
    for s in SPLITS:
        mine = [e for e in expressions if e['split'] == s]
        counts.update({
            f'{s}_videos':
            len(exp_json[s]),
            f'{s}_expressions':
            len(mine),
            f'{s}_single_expressions':
            sum(e['kind'] == 'single' for e in mine),
            f'{s}_multi_expressions':
            sum(e['kind'] == 'multi' for e in mine),
            f'{s}_no_target_expressions':
            sum(e['kind'] == 'no_target' for e in mine),
        })
    counts['null_rle_frames'] = sum(r is None for d in mask_dict.values()
                                    for rles in d.values() for r in rles)
    return write_generator_meta(out_dir, 'mevis', params, counts,
                                round(time.perf_counter() - t0, 3),
                                videos_meta, expressions)
