"""Tiny A2D Sentences / J-HMDB Sentences trees in the exact official layout,
for tests (see docs/dataset_prepare.md and /work/shared/DATA_FORMATS.md).

``make_a2d_tree`` writes a hand-made tree with CSTM's quirks and
returns what a correct reader must find; ``make_synthetic_a2d`` runs the
synthetic generator at a tiny size; ``make_jhmdb_tree`` writes J-HMDB.
"""
import csv
import os
import os.path as osp
from typing import Dict, Tuple

import cv2
import numpy as np

A2D_H, A2D_W, A2D_T = 32, 48, 12
JHMDB_H, JHMDB_W = 24, 32

# (vid, label, subset, {instance: (y0, x0, y1, x1) box per frame or None})
_A2D_VIDEOS = {
    # two instances; instance 1 is absent from frame 6
    'vidTrain_01':
    dict(
        label=11,
        subset=0,
        frames=(3, 6, 9),
        instances={
            0: {
                3: (2, 2, 12, 14),
                6: (4, 4, 14, 16),
                9: (6, 6, 16, 18)
            },
            1: {
                3: (14, 20, 28, 40),
                9: (16, 26, 30, 44)
            }
        }),
    # a single instance: reMask stored as a 2-D (W, H) array
    'vidTrain_02':
    dict(
        label=38,
        subset=0,
        frames=(2, 7, 11),
        instances={
            1: {
                2: (5, 5, 20, 30),
                7: (6, 8, 22, 33),
                11: (8, 12, 24, 36)
            }
        }),
    # test video, two instances in every annotated frame
    'vidTest_001':
    dict(
        label=79,
        subset=1,
        frames=(1, 6, 12),
        instances={
            0: {
                1: (1, 1, 10, 10),
                6: (2, 2, 11, 11),
                12: (3, 3, 12, 12)
            },
            2: {
                1: (15, 30, 30, 46),
                6: (15, 28, 30, 44),
                12: (15, 26, 30, 42)
            }
        }),
    # listed in a2d_missed_videos.txt although it has a row
    'vidMissed01':
    dict(
        label=21,
        subset=0,
        frames=(4, 8, 12),
        instances={0: {
            4: (2, 2, 8, 8),
            8: (2, 2, 8, 8),
            12: (2, 2, 8, 8)
        }}),
}

A2D_ROWS = [
    ('vidTrain_01', '0', 'the man on the left is climbing'),
    ('vidTrain_01', '1', 'a dog, brown and white, rolling on the right'),
    ('vidTrain_02', '1', 'red car jumping'),
    ('vidTrain_02', '1 (copy)', 'red car jumping'),
    ('vidMissed01', '0', 'baby crawling'),
    ('vidTest_001', '0', 'adult walking'),
    ('vidTest_001', '2', 'the "big" dog, running to the right'),
]


def _box_mask(box, h=A2D_H, w=A2D_W) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    y0, x0, y1, x1 = box
    m[y0:y1, x0:x1] = 1
    return m


def a2d_gt_mask(vid: str, instance: int, frame: int) -> np.ndarray:
    """Ground truth of the hand-made tree, H x W uint8."""
    return _box_mask(_A2D_VIDEOS[vid]['instances'][instance][frame])


def _frame_image(vid: str, t: int) -> np.ndarray:
    """RGB frame ``t`` (1-based): a gradient whose level encodes t, so tests
    can check which frame was decoded."""
    img = np.zeros((A2D_H, A2D_W, 3), np.uint8)
    img[..., 0] = 10 * t
    img[..., 1] = np.linspace(0, 200, A2D_W, dtype=np.uint8)[None]
    img[..., 2] = 100
    info = _A2D_VIDEOS[vid]
    for inst, boxes in info['instances'].items():
        if t in boxes:
            img[_box_mask(boxes[t]).astype(bool)] = (250, 250, 30 * inst)
    return img


def write_a2d_h5(path: str, ids, masks, labels=None) -> None:
    """One mask file in the official layout (reMask transposed)."""
    import h5py
    with h5py.File(path, 'w') as f:
        f.create_dataset('instance', data=np.asarray(ids, np.float64))
        stack = np.stack([m.T for m in masks]).astype(np.float64)
        f.create_dataset('reMask', data=stack[0] if len(masks) == 1 else stack)
        boxes = []
        for m in masks:
            ys, xs = np.nonzero(m)
            boxes.append([xs.min(), ys.min(), xs.max(), ys.max()])
        f.create_dataset('reBBox', data=np.asarray(boxes, np.float64).T)
        if labels is not None:
            f.create_dataset('id', data=np.asarray([labels], np.float64))


def write_mp4(path: str, frames_rgb) -> None:
    h, w = frames_rgb[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 24, (w, h))
    for img in frames_rgb:
        writer.write(cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    writer.release()


def make_a2d_tree(root: str, video_source: str = 'mp4', rows=None) -> Dict:
    """Write the hand-made A2D Sentences tree; ``video_source`` 'mp4',
    'frames' (JPEGs under Release/frames) or 'both'.

    Returns the expected samples ``{(vid, frame, instance, query)}`` of each
    split (copy row dropped, missed video skipped).
    """
    rel = osp.join(root, 'Release')
    text = osp.join(root, 'text_annotations')
    masks_root = osp.join(text, 'a2d_annotation_with_instances')
    os.makedirs(rel, exist_ok=True)
    os.makedirs(masks_root, exist_ok=True)
    with open(osp.join(rel, 'videoset.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        for vid, info in _A2D_VIDEOS.items():
            # vid,label,start,end,height,width,total_frames,annotated,subset
            w.writerow([
                vid, info['label'], '0', '0.5', A2D_H, A2D_W, A2D_T,
                len(info['frames']), info['subset']
            ])
    for vid, info in _A2D_VIDEOS.items():
        frames = [_frame_image(vid, t) for t in range(1, A2D_T + 1)]
        if video_source in ('mp4', 'both'):
            os.makedirs(osp.join(rel, 'clips320H'), exist_ok=True)
            write_mp4(osp.join(rel, 'clips320H', f'{vid}.mp4'), frames)
        if video_source in ('frames', 'both'):
            fdir = osp.join(rel, 'frames', vid)
            os.makedirs(fdir, exist_ok=True)
            for t, img in enumerate(frames, 1):
                cv2.imwrite(
                    osp.join(fdir, f'{t:05d}.jpg'),
                    cv2.cvtColor(img, cv2.COLOR_RGB2BGR),
                    [cv2.IMWRITE_JPEG_QUALITY, 98])
        vdir = osp.join(masks_root, vid)
        os.makedirs(vdir, exist_ok=True)
        for t in info['frames']:
            ids = [i for i, boxes in info['instances'].items() if t in boxes]
            write_a2d_h5(
                osp.join(vdir, f'{t:05d}.h5'), ids,
                [a2d_gt_mask(vid, i, t) for i in ids],
                [info['label']] * len(ids))
    with open(osp.join(text, 'a2d_annotation.txt'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['video_id', 'instance_id', 'query'])
        w.writerows(A2D_ROWS if rows is None else rows)
    with open(osp.join(text, 'a2d_missed_videos.txt'), 'w') as f:
        f.write('vidMissed01\nsomeOtherVid\n')

    expected = {'train': set(), 'test': set()}
    for vid, inst, query in (A2D_ROWS if rows is None else rows):
        if vid == 'vidMissed01' or '(copy)' in inst or not query.strip():
            continue
        info = _A2D_VIDEOS[vid]
        split = 'test' if info['subset'] else 'train'
        for t in info['frames']:
            if t in info['instances'].get(int(inst), {}):
                expected[split].add((vid, t, int(inst), query))
    return expected


def make_synthetic_a2d(root: str, **kwargs) -> Dict:
    """The synthetic generator at a tiny size (well under a second)."""
    from tools.data.synthetic import generate
    params = dict(num_videos=8, height=32, width=48, num_frames=10, seed=1)
    params.update(kwargs)
    return generate(root, **params)


def make_jhmdb_tree(root: str) -> Dict[str, Tuple[str, int, int]]:
    """Three videos in two action folders. ``vidC`` has 9 frames but 7
    masks (frames 8-9 are dropped). Returns ``{vid: (action, frames,
    masks)}``; the mask of frame t is a box whose top row is t."""
    from scipy.io import savemat
    videos = {
        'vidA_brush': ('brush_hair', 8, 8),
        'vidB_walk': ('walk', 6, 6),
        'vidC_walk': ('walk', 9, 7)
    }
    rows = [('vidA_brush', 'man brushing his hair'),
            ('vidB_walk', 'a woman, walking to the left'),
            ('vidC_walk', 'man walking')]
    for vid, (action, n_frames, n_masks) in videos.items():
        fdir = osp.join(root, 'Rename_Images', action, vid)
        mdir = osp.join(root, 'puppet_mask', action, vid)
        os.makedirs(fdir, exist_ok=True)
        os.makedirs(mdir, exist_ok=True)
        for t in range(1, n_frames + 1):
            img = np.full((JHMDB_H, JHMDB_W, 3), 20 * t, np.uint8)
            cv2.imwrite(osp.join(fdir, f'{t:05d}.png'), img)
        part = np.zeros((JHMDB_H, JHMDB_W, n_masks), np.uint8)
        for t in range(1, n_masks + 1):
            part[t:t + 6, 3:12, t - 1] = 1
        savemat(osp.join(mdir, 'puppet_mask.mat'), {'part_mask': part})
    with open(osp.join(root, 'jhmdb_annotation.txt'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['video_id', 'query'])
        w.writerows(rows)
    return videos


def jhmdb_gt_mask(frame: int) -> np.ndarray:
    m = np.zeros((JHMDB_H, JHMDB_W), np.uint8)
    m[frame:frame + 6, 3:12] = 1
    return m
