"""Writing a synthetic tree in the MeViS tree layout::

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
from typing import Dict, List, Tuple

import numpy as np

from .queries import make_group_query, make_no_target_query
from .scene import _allowed_actions
from .video_tree import (assign_splits, check_params, clear_out_dir,
                         cstm_query, dump_json, frame_name, hex_video_ids,
                         render_tree_video, video_progress,
                         write_generator_meta)

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

    rng = np.random.default_rng(seed)
    vids = hex_video_ids(rng, num_videos, 12)
    n_u = max(1, int(round(num_videos * valid_u_ratio)))
    n_v = max(1, int(round(num_videos * valid_ratio)))
    split = assign_splits(rng, vids, [('train', 0), ('valid_u', n_u),
                                      ('valid', n_v)])

    exp_json, mask_dict, videos_meta, expressions = _write_videos(
        rng, out_dir, vids, split, params, listed, progress)
    counts = _counts(num_videos, exp_json, mask_dict, expressions)
    return write_generator_meta(
        out_dir,
        params,
        counts,
        round(time.perf_counter() - t0, 3),
        dict(videos=videos_meta, expressions=expressions),
        layout='mevis')


def _write_videos(rng, out_dir: str, vids: List[str], split: Dict[str, str],
                  params: Dict, listed: List[int], progress: bool) -> Tuple:
    """Every video and the json files; returns ``(exp_json, mask_dict,
    videos_meta, expressions)``: split -> the ``meta_expressions.json``
    videos, split -> its ``mask_dict.json`` (train and valid_u), the
    ``generator_meta.json`` entries and the queries."""
    names = [frame_name(t) for t in listed]
    exp_json = {s: {} for s in SPLITS}
    mask_dict = {s: {} for s in SPLITS[:2]}  # valid has none
    next_anno = {s: 0 for s in SPLITS}
    videos_meta, expressions = {}, []
    for vid in video_progress(vids, progress):
        s = split[vid]
        video, visible, vis_ids = render_tree_video(
            rng, params, listed, s, osp.join(out_dir, s, 'JPEGImages', vid))
        actors = video['actors']
        anno_of = _number_objects(actors, next_anno, s)
        if s in mask_dict:
            _add_masks(mask_dict[s], anno_of, visible, listed)
        video['anno_ids'] = {str(i): n for i, n in anno_of.items()}
        queries = _video_queries(rng, actors, listed, vis_ids,
                                 params['multi_prob'],
                                 params['no_target_prob'])
        entries = _expression_entries(queries, vid, s, anno_of)
        expressions += queries
        exp_json[s][vid] = dict(expressions=entries, frames=names)
        videos_meta[vid] = video

    for s in SPLITS:
        dump_json(
            osp.join(out_dir, s, 'meta_expressions.json'),
            dict(videos=exp_json[s]))
        if s in mask_dict:
            dump_json(osp.join(out_dir, s, 'mask_dict.json'), mask_dict[s])
    return exp_json, mask_dict, videos_meta, expressions


def _number_objects(actors: List[Dict], next_anno: Dict[str, int],
                    split: str) -> Dict[int, int]:
    """``{instance_id: anno_id}``: the split's next anno ids, in actor
    order (``next_anno`` is advanced)."""
    anno_of = {}
    for a in actors:
        anno_of[a['instance_id']] = next_anno[split]
        next_anno[split] += 1
    return anno_of


def _add_masks(masks: Dict, anno_of: Dict[int, int], visible: Dict,
               listed: List[int]) -> None:
    """Per object one RLE per listed frame (None where it is not visible),
    keyed by ``str(anno_id)``."""
    for iid, anno_id in anno_of.items():
        masks[str(anno_id)] = [
            encode_rle(visible[iid][t]) if visible[iid][t].any() else None
            for t in listed
        ]


def _video_queries(rng, actors: List[Dict], listed: List[int], vis_ids: Dict,
                   multi_prob: float, no_target_prob: float) -> List[Dict]:
    """One single-object query per actor, then maybe a multi-object and a
    no-target one (drawn in this order)."""
    queries = []
    for a in actors:
        q = cstm_query(rng, a, actors, listed, vis_ids)
        q.update(kind='single', instance_ids=[a['instance_id']])
        queries.append(q)
    if rng.random() < multi_prob:
        q = make_group_query(rng, actors)
        if q is not None:
            queries.append(q)
    if rng.random() < no_target_prob:
        queries.append(make_no_target_query(rng, actors, _allowed_actions))
    return queries


def _expression_entries(queries: List[Dict], vid: str, split: str,
                        anno_of: Dict[int, int]) -> Dict:
    """The ``meta_expressions.json`` expressions of a video; each query
    gets its video, exp_id, split and anno ids."""
    entries = {}
    for q in queries:
        exp_id = str(len(entries))
        entry = dict(exp=q['query'])
        if split != 'valid':  # valid's truth is hidden
            entry['obj_id'] = list(q['instance_ids'])
            entry['anno_id'] = [anno_of[i] for i in q['instance_ids']]
        entries[exp_id] = entry
        q.update(
            video_id=vid,
            exp_id=exp_id,
            split=split,
            anno_ids=[anno_of[i] for i in q['instance_ids']])
    return entries


def _counts(num_videos: int, exp_json: Dict, mask_dict: Dict,
            expressions: List[Dict]) -> Dict:
    """The ``counts`` of ``generator_meta.json``."""
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
    return counts
