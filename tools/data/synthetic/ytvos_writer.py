"""Writing a synthetic tree in the Ref-YouTube-VOS tree layout::

    meta_expressions/train/meta_expressions.json  exp + obj_id ("1", ...)
    meta_expressions/valid/meta_expressions.json  exp only: valid + test
    meta_expressions/test/meta_expressions.json   exp only: the test videos
    train/JPEGImages/<vid>/<frame>.jpg
    train/Annotations/<vid>/<frame>.png   palette PNG, pixel = object id
    train/meta.json       objects -> {category, frames where it shows}
    valid/JPEGImages/<vid>/<frame>.jpg    every video of the valid list
    generator_meta.json

As in CSTM, a video is rendered at its full frame rate and every
``frame_step``-th frame is listed (YouTube-VOS: 30 fps -> 6 fps), named by
its original frame number ('00000', '00005', ...); only listed frames are
written. The valid expressions list also holds the test videos (the
CSTM's trap): the scored valid videos are valid minus test.
"""
import os.path as osp
import time
from typing import Dict, List, Optional, Tuple

import numpy as np

from .video_tree import (assign_splits, check_params, clear_out_dir,
                         cstm_query, dump_json, frame_name, hex_video_ids,
                         index_map, render_tree_video, video_progress,
                         write_generator_meta, write_index_png)

_PRODUCED = ('meta_expressions', 'train', 'valid', 'generator_meta.json')


def _object_id(actor: Dict) -> int:
    return actor['instance_id'] + 1  # 0 is background


def generate_ref_youtube_vos(out_dir: str,
                             num_videos: int = 64,
                             height: int = 64,
                             width: int = 80,
                             num_frames: int = 36,
                             frame_step: int = 5,
                             seed: int = 0,
                             valid_ratio: float = 0.25,
                             test_share: float = 0.6,
                             expressions_per_object: int = 2,
                             min_actors: int = 2,
                             max_actors: int = 4,
                             twin_prob: float = 0.65,
                             exit_prob: float = 0.2,
                             overwrite: bool = False,
                             progress: bool = False) -> Dict:
    """Write a synthetic Ref-YouTube-VOS tree into ``out_dir``.

    ``valid_ratio`` of the videos form the valid list; ``test_share`` of
    those are test videos (the CSTM: 305 of 507). Each object gets
    ``expressions_per_object`` expressions (the CSTM: two annotators).
    Returns the summary stored in ``generator_meta.json``.
    """
    t0 = time.perf_counter()
    params = dict(
        layout='ref_youtube_vos',
        num_videos=num_videos,
        height=height,
        width=width,
        num_frames=num_frames,
        frame_step=frame_step,
        seed=seed,
        valid_ratio=valid_ratio,
        test_share=test_share,
        expressions_per_object=expressions_per_object,
        min_actors=min_actors,
        max_actors=max_actors,
        twin_prob=twin_prob,
        exit_prob=exit_prob)
    check_params(params, 3)
    if frame_step < 1:
        raise ValueError('frame_step must be >= 1')
    clear_out_dir(out_dir, _PRODUCED, overwrite)
    listed = list(range(0, num_frames, frame_step))

    rng = np.random.default_rng(seed)
    vids = hex_video_ids(rng, num_videos, 10)
    split = _assign_ytvos_splits(rng, vids, valid_ratio, test_share)

    exp_json, train_meta, videos_meta, expressions = _write_videos(
        rng, out_dir, vids, split, params, listed, progress)
    counts = _counts(num_videos, exp_json, train_meta, expressions,
                     len(listed))
    return write_generator_meta(
        out_dir,
        params,
        counts,
        round(time.perf_counter() - t0, 3),
        dict(videos=videos_meta, expressions=expressions),
        layout='ref_youtube_vos')


def _write_videos(rng, out_dir: str, vids: List[str], split: Dict[str, str],
                  params: Dict, listed: List[int], progress: bool) -> Tuple:
    """Every video and the json files; returns ``(exp_json, train_meta,
    videos_meta, expressions)``: split -> the ``meta_expressions.json``
    videos, ``train/meta.json`` videos, the ``generator_meta.json`` entries
    and the queries."""
    names = [frame_name(t) for t in listed]
    exp_json = {s: {} for s in ('train', 'valid', 'test')}
    train_meta: Dict[str, Dict] = {}
    videos_meta, expressions = {}, []
    for vid in video_progress(vids, progress):
        video, objects, entries, queries = _write_video(
            rng, out_dir, vid, split[vid], params, listed)
        if objects is not None:
            train_meta[vid] = dict(objects=objects)
        expressions += queries
        record = dict(expressions=entries, frames=names)
        if split[vid] == 'train':
            exp_json['train'][vid] = record
        else:  # the valid list also holds the test videos
            exp_json['valid'][vid] = record
            if split[vid] == 'test':
                exp_json['test'][vid] = record
        videos_meta[vid] = video

    for s, videos in exp_json.items():
        dump_json(
            osp.join(out_dir, 'meta_expressions', s, 'meta_expressions.json'),
            dict(videos=videos))
    dump_json(osp.join(out_dir, 'train', 'meta.json'), dict(videos=train_meta))
    return exp_json, train_meta, videos_meta, expressions


def _assign_ytvos_splits(rng, vids: List[str], valid_ratio: float,
                         test_share: float) -> Dict[str, str]:
    """The valid list takes ``valid_ratio`` of the videos (at least 2, and
    one video stays in train); ``test_share`` of it are test videos (at
    least one, and one stays scored valid)."""
    num_videos = len(vids)
    n_valid = min(max(2, int(round(num_videos * valid_ratio))), num_videos - 1)
    n_test = min(max(1, int(round(n_valid * test_share))), n_valid - 1)
    return assign_splits(rng, vids, [('train', 0), ('test', n_test),
                                     ('valid', n_valid - n_test)])


def _write_video(
        rng, out_dir: str, vid: str, split: str, params: Dict,
        listed: List[int]) -> Tuple[Dict, Optional[Dict], Dict, List[Dict]]:
    """Render and write one video (JPEGs; palette PNGs for train); returns
    its ``generator_meta.json`` entry, its ``train/meta.json`` objects (None
    outside train), its expressions and their queries."""
    image_split = 'train' if split == 'train' else 'valid'
    video, visible, vis_ids = render_tree_video(
        rng, params, listed, split,
        osp.join(out_dir, image_split, 'JPEGImages', vid))
    actors = video['actors']
    objects = None
    if split == 'train':
        objects = _write_train_masks(
            osp.join(out_dir, 'train', 'Annotations', vid), actors, visible,
            listed)
    entries, queries = _video_expressions(rng, vid, split, actors, listed,
                                          vis_ids,
                                          params['expressions_per_object'])
    return video, objects, entries, queries


def _write_train_masks(ann_dir: str, actors: List[Dict], visible: Dict,
                       listed: List[int]) -> Dict:
    """One palette PNG per listed frame; returns the ``train/meta.json``
    objects of the video (category, frames where it shows)."""
    for t in listed:
        write_index_png(
            osp.join(ann_dir,
                     frame_name(t) + '.png'),
            index_map(actors, visible, t, _object_id))
    return {
        str(_object_id(a)):
        dict(
            category=a['shape'],
            frames=[
                frame_name(t) for t in listed
                if visible[a['instance_id']][t].any()
            ])
        for a in actors
    }


def _video_expressions(rng, vid: str, split: str, actors: List[Dict],
                       listed: List[int], vis_ids: Dict,
                       per_object: int) -> Tuple[Dict, List[Dict]]:
    """``per_object`` expressions per actor: the ``meta_expressions.json``
    entries (``exp_id`` -> entry) and the queries for the generator meta."""
    entries, queries = {}, []
    for a in actors:
        for _ in range(per_object):
            q = cstm_query(rng, a, actors, listed, vis_ids)
            exp_id = str(len(entries))
            entry = dict(exp=q['query'])
            if split == 'train':  # valid/test truth is hidden
                entry['obj_id'] = str(_object_id(a))
            entries[exp_id] = entry
            q.update(
                video_id=vid,
                exp_id=exp_id,
                split=split,
                obj_id=_object_id(a),
                instance_id=a['instance_id'])
            queries.append(q)
    return entries, queries


def _counts(num_videos: int, exp_json: Dict, train_meta: Dict,
            expressions: List[Dict], num_listed: int) -> Dict:
    """The ``counts`` of ``generator_meta.json``."""

    def n_exp(s):
        return sum(e['split'] == s for e in expressions)

    return dict(
        videos=num_videos,
        train_videos=len(exp_json['train']),
        valid_list_videos=len(exp_json['valid']),
        test_videos=len(exp_json['test']),
        scored_valid_videos=len(exp_json['valid']) - len(exp_json['test']),
        listed_frames_per_video=num_listed,
        expressions=len(expressions),
        train_expressions=n_exp('train'),
        valid_expressions=n_exp('valid'),
        test_expressions=n_exp('test'),
        twin_expressions=sum(e['twin'] for e in expressions),
        train_objects_absent_in_some_frames=sum(
            len(o['frames']) < num_listed for v in train_meta.values()
            for o in v['objects'].values()))
