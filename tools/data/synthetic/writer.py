"""Writing a synthetic tree in the A2D Sentences tree layout: mp4 clips,
transposed HDF5 masks, videoset.csv, the annotation files, the vocabulary and
``generator_meta.json``."""
import csv
import os
import os.path as osp
import time
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

from .pretrain_annotations import ANNOTATION_DIR, write_pretrain_annotations
from .queries import _make_query
from .render import actor_tracks, render_video
from .scene import _video_id, sample_video
from .video_tree import clear_out_dir, video_progress, write_generator_meta
from .world import ACTIONS, SHAPES

FPS = 24
# what generate() writes under out_dir (and removes with overwrite=True)
_PRODUCED = ('Release', 'text_annotations', 'vocab.json',
             'generator_meta.json', 'mmcsted_cache', ANNOTATION_DIR)


def _write_h5(path: str, ids: List[int], masks: List[np.ndarray],
              labels: List[int]) -> None:
    import h5py
    with h5py.File(path, 'w') as f:
        f.create_dataset('instance', data=np.asarray(ids, np.float64))
        # transposed: (N, W, H), or (W, H) for a single instance
        stack = np.stack([m.T for m in masks]).astype(np.uint8)
        f.create_dataset(
            'reMask',
            data=stack[0] if len(masks) == 1 else stack,
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


def _check_params(height: int, width: int, num_frames: int, num_videos: int,
                  min_actors: int, max_actors: int, num_missed: int) -> None:
    if height % 2 or width % 2:
        raise ValueError(f'height and width must be even (mp4), got '
                         f'{height} x {width}')
    if not 2 <= min_actors <= max_actors:
        raise ValueError('need 2 <= min_actors <= max_actors')
    if num_frames < 3:
        raise ValueError('num_frames must be >= 3')
    if num_videos < 4 + num_missed:
        raise ValueError(f'num_videos must be >= {4 + num_missed}')


def _write_mp4(path: str, frames: np.ndarray, height: int, width: int) -> None:
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), FPS,
                             (width, height))
    if not writer.isOpened():
        raise RuntimeError('OpenCV cannot write mp4v videos here')
    for img in frames:
        writer.write(cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    writer.release()


def _write_masks(vdir: str, actors: List[Dict], visible: Dict,
                 vis_ids: Dict[int, List[int]]) -> None:
    """One ``<frame:05d>.h5`` per annotated frame, holding its visible
    actors."""
    os.makedirs(vdir, exist_ok=True)
    by_id = {a['instance_id']: a for a in actors}
    for f, ids in vis_ids.items():
        _write_h5(
            osp.join(vdir, f'{f:05d}.h5'), ids,
            [visible[i][f - 1] for i in ids], [_label(by_id[i]) for i in ids])


def _write_video(rng, vid: str, subset: int, missed: bool, clip_dir: str,
                 mask_root: str,
                 params: Dict) -> Tuple[Dict, list, List[Dict]]:
    """Sample, render and write one video (mp4 and masks); returns its
    ``generator_meta.json`` entry, its videoset.csv row and its queries (none
    for a missed video)."""
    height, width = params['height'], params['width']
    num_frames = params['num_frames']
    video, vis_ids, shown = sample_video(rng, subset, missed, height, width,
                                         num_frames, params['min_actors'],
                                         params['max_actors'],
                                         params['twin_prob'])
    actors = video['actors']
    frames, visible = render_video(video, height, width, num_frames)
    _write_mp4(osp.join(clip_dir, f'{vid}.mp4'), frames, height, width)
    _write_masks(osp.join(mask_root, vid), actors, visible, vis_ids)
    row = [
        vid,
        _label(actors[0]), 0, f'{num_frames / FPS:.2f}', height, width,
        num_frames,
        len(video['annotated_frames']), subset
    ]
    queries = []
    if missed:  # missed videos have no sentences
        return video, row, queries
    for a in actors:
        if a['instance_id'] not in shown:
            continue
        q = _make_query(rng, a, actors, video['annotated_frames'], vis_ids)
        q.update(
            video_id=vid,
            instance_id=a['instance_id'],
            split='test' if subset else 'train',
            num_samples=sum(a['instance_id'] in ids
                            for ids in vis_ids.values()))
        queries.append(q)
    return video, row, queries


def _write_annotations(out_dir: str, videoset_rows: List[list],
                       queries: List[Dict], missed: set,
                       copy_quirk: bool) -> Optional[List[str]]:
    """videoset.csv, a2d_annotation.txt and a2d_missed_videos.txt; returns
    the "1 (copy)" row written (None without ``copy_quirk``)."""
    text_dir = osp.join(out_dir, 'text_annotations')
    with open(
            osp.join(out_dir, 'Release', 'videoset.csv'), 'w',
            newline='') as f:
        csv.writer(f).writerows(videoset_rows)
    rows = [[q['video_id'], str(q['instance_id']), q['query']]
            for q in queries]
    copy_row = None
    if copy_quirk:  # CSTM's "1 (copy)" row, duplicating instance 1
        for q in queries:
            if q['split'] == 'train' and q['instance_id'] == 1:
                copy_row = [q['video_id'], '1 (copy)', q['query']]
                rows.insert(queries.index(q) + 1, copy_row)
                break
    with open(osp.join(text_dir, 'a2d_annotation.txt'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['video_id', 'instance_id', 'query'])
        w.writerows(rows)
    with open(osp.join(text_dir, 'a2d_missed_videos.txt'), 'w') as f:
        f.write(''.join(f'{v}\n' for v in sorted(missed)))
    return copy_row


def _counts(vids: List[str], subset: Dict[str, int], missed: set,
            queries: List[Dict], num_train_queries: int,
            vocab_size: int) -> Dict:
    n_twin = sum(q['twin'] for q in queries)
    return dict(
        videos=len(vids),
        train_videos=sum(1 for v in vids if subset[v] == 0),
        test_videos=sum(1 for v in vids if subset[v] == 1),
        missed_videos=len(missed),
        queries=len(queries),
        train_queries=num_train_queries,
        test_queries=len(queries) - num_train_queries,
        twin_queries=n_twin,
        twin_fraction=round(n_twin / max(len(queries), 1), 4),
        position_queries=sum(bool(q['position_word']) for q in queries),
        train_samples=sum(q['num_samples'] for q in queries
                          if q['split'] == 'train'),
        test_samples=sum(q['num_samples'] for q in queries
                         if q['split'] == 'test'),
        vocab_size=vocab_size)


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
    _check_params(height, width, num_frames, num_videos, min_actors,
                  max_actors, num_missed)
    params = dict(
        num_videos=num_videos,
        height=height,
        width=width,
        num_frames=num_frames,
        seed=seed,
        test_ratio=test_ratio,
        min_actors=min_actors,
        max_actors=max_actors,
        twin_prob=twin_prob,
        num_missed=num_missed,
        copy_quirk=copy_quirk,
        fps=FPS)
    clear_out_dir(out_dir, _PRODUCED, overwrite)
    # One generator for the whole tree, drawn from in a fixed order: the
    # same seed gives the same files.
    rng = np.random.default_rng(seed)
    vids, subset, missed = _draw_videos(rng, num_videos, test_ratio,
                                        num_missed)
    videos_meta, queries, videoset_rows = _write_videos(
        rng, out_dir, vids, subset, missed, params, progress)
    copy_row = _write_annotations(out_dir, videoset_rows, queries, missed,
                                  copy_quirk)
    train_queries = [q['query'] for q in queries if q['split'] == 'train']
    vocab_size = _write_vocab(out_dir, train_queries)
    counts = _counts(vids, subset, missed, queries, len(train_queries),
                     vocab_size)
    write_pretrain_annotations(out_dir,
                               dict(params=params, videos=videos_meta))
    seconds = round(time.perf_counter() - t0, 3)
    return write_generator_meta(
        out_dir,
        params,
        counts,
        seconds,
        dict(videos=videos_meta, queries=queries),
        copy_row=copy_row)


def _draw_videos(rng, num_videos: int, test_ratio: float,
                 num_missed: int) -> Tuple[List[str], Dict[str, int], set]:
    """Video ids, their subset (1 = test) and the missed videos."""
    taken: set = set()
    vids = [_video_id(rng, taken) for _ in range(num_videos)]
    n_test = max(1, int(round(num_videos * test_ratio)))
    order = rng.permutation(num_videos)
    subset = {vids[i]: (1 if k < n_test else 0) for k, i in enumerate(order)}
    missed = set(str(v) for v in rng.choice(vids, num_missed, replace=False))
    return vids, subset, missed


def _write_videos(rng, out_dir: str, vids: List[str], subset: Dict[str, int],
                  missed: set, params: Dict,
                  progress: bool) -> Tuple[Dict, List[Dict], List[list]]:
    """Every video's mp4 and masks; returns the ``generator_meta.json``
    entries, the queries and the videoset.csv rows."""
    clip_dir = osp.join(out_dir, 'Release', 'clips320H')
    mask_root = osp.join(out_dir, 'text_annotations',
                         'a2d_annotation_with_instances')
    for d in (clip_dir, mask_root):
        os.makedirs(d, exist_ok=True)
    videos_meta, queries, videoset_rows = {}, [], []
    for vid in video_progress(vids, progress):
        video, row, video_queries = _write_video(rng, vid, subset[vid], vid
                                                 in missed, clip_dir,
                                                 mask_root, params)
        videoset_rows.append(row)
        tracks = actor_tracks(video, params['height'], params['width'],
                              params['num_frames'])
        video['tracks'] = {str(i): t for i, t in tracks.items()}
        videos_meta[vid] = video
        queries += video_queries
    return videos_meta, queries, videoset_rows


def _write_vocab(out_dir: str, train_queries: List[str]) -> int:
    """``vocab.json`` of the train queries; returns its size."""
    from mmcsted.text import WordVocabulary
    from mmcsted.utils.atomic_write import atomic_write_text
    vocab = WordVocabulary.build(train_queries)
    atomic_write_text(vocab.to_json(), osp.join(out_dir, 'vocab.json'))
    return len(vocab)
