"""Pretraining sets cut from the synthetic A2D-format benchmark: Synthetic
Kinetics (actor clips, action labels) and Synthetic ImageNet (actor crops,
appearance labels). What they are and their splits:
docs/dataset_prepare.md.
"""
import hashlib
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np
from mmengine import fileio

from mmcsted.registry import DATASETS
from .a2d.tree import CLIP_DIR
from .base import BaseActorSegDataset
from .synthetic import ACTIONS, COLOURS, SHAPES, SIZES, load_meta
from .utils import SkipCounter, require_file

#: class names of Synthetic ImageNet: ``'<size> <colour> <shape>'``, index
#: ``(size * len(COLOURS) + colour) * len(SHAPES) + shape``
APPEARANCE_CLASSES = tuple(f'{s} {c} {sh}' for s in SIZES for c in COLOURS
                           for sh in SHAPES)
PRETRAIN_SPLITS = ('train', 'val', 'trainval', 'test')


def appearance_label(shape: str, colour: str, size: str) -> int:
    """Index of ``'<size> <colour> <shape>'`` in :data:`APPEARANCE_CLASSES`."""
    return (SIZES.index(size) * len(COLOURS) +
            list(COLOURS).index(colour)) * len(SHAPES) + SHAPES.index(shape)


def in_val_holdout(video_id: str, val_ratio: float) -> bool:
    """Whether a train video is held out for validation (a fixed hash of its
    id, so the split does not depend on the order or number of videos)."""
    h = int(hashlib.sha1(video_id.encode('utf-8')).hexdigest()[:8], 16)
    return h / 0xFFFFFFFF < val_ratio


class _SyntheticActorDataset(BaseActorSegDataset):
    """One sample per actor of the synthetic benchmark's videos.

    Args:
        data_root: the synthetic benchmark (``generator_meta.json`` and the
            mp4 files).
        split: ``'train'``, ``'val'``, ``'trainval'`` or ``'test'``.
        val_ratio: share of the train videos held out as ``'val'``.
        min_visible: an actor is kept if it shows at least this fraction of
            its area in some frame.
        **kwargs: :class:`BaseActorSegDataset` arguments.
    """

    label_key = 'action'
    SPLITS = PRETRAIN_SPLITS

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 val_ratio: float = 0.1,
                 min_visible: float = 0.5,
                 **kwargs):
        if not 0 <= val_ratio < 1:
            raise ValueError(f'val_ratio must be in [0, 1), got {val_ratio}')
        self.val_ratio = val_ratio
        self.min_visible = min_visible
        super().__init__(data_root=data_root, split=split, **kwargs)

    def _keep_video(self, vid: str, video: Dict) -> bool:
        if self.split == 'test':
            return video['subset'] == 1
        if video['subset'] != 0:
            return False
        if self.split == 'trainval':
            return True
        held_out = in_val_holdout(vid, self.val_ratio)
        return held_out if self.split == 'val' else not held_out

    def label_of(self, actor: Dict) -> int:
        raise NotImplementedError

    def load_data_list(self) -> List[dict]:
        root = self.data_root
        skips = SkipCounter(self.owner)
        require_file(
            osp.join(root, 'generator_meta.json'), 'synthetic benchmark '
            'metadata', 'written by tools/data/synthetic/generate.py')
        meta = load_meta(root)
        p = meta['params']
        videos = [
            vid for vid in sorted(meta['videos'])
            if self._keep_video(vid, meta['videos'][vid])
        ]
        clips = {vid: osp.join(root, CLIP_DIR, f'{vid}.mp4') for vid in videos}
        missing = {
            vid: [path]
            for vid, path in clips.items()
            if not fileio.exists(path, backend_args=self.backend_args)
        }
        self.handle_missing(missing, skips)
        data_list = []
        for vid in videos:
            if vid in missing:
                continue
            video = meta['videos'][vid]
            if 'tracks' not in video:
                raise ValueError(
                    f'{self.owner}: {root}/generator_meta.json has no actor '
                    'tracks (an older generator wrote it); regenerate the '
                    'tree with tools/data/synthetic/generate.py')
            for a in sorted(video['actors'], key=lambda a: a['instance_id']):
                track = video['tracks'][str(a['instance_id'])]
                if max(track['visible']) < self.min_visible:
                    continue
                data_list.append(
                    dict(
                        video_id=vid,
                        video_path=clips[vid],
                        frame_dir=None,
                        instance_id=a['instance_id'],
                        label=self.label_of(a),
                        shape=a['shape'],
                        colour=a['colour'],
                        size=a['size'],
                        action=a['action'],
                        twin=bool(a['twin']),
                        total_frames=p['num_frames'],
                        height=p['height'],
                        width=p['width'],
                        radius=float(a['radius']),
                        centres=track['centres'],
                        visible=track['visible'],
                        min_visible=self.min_visible))
        return self.finish_loading(data_list, skips)


@DATASETS.register_module()
class SyntheticKineticsDataset(_SyntheticActorDataset):
    """"Synthetic Kinetics": actor clips labelled with the actor's action."""

    METAINFO = dict(classes=ACTIONS)

    def label_of(self, actor: Dict) -> int:
        return ACTIONS.index(actor['action'])


@DATASETS.register_module()
class SyntheticImageNetDataset(_SyntheticActorDataset):
    """"Synthetic ImageNet": actor crops labelled by size, colour and shape."""

    METAINFO = dict(classes=APPEARANCE_CLASSES)

    def label_of(self, actor: Dict) -> int:
        return appearance_label(actor['shape'], actor['colour'], actor['size'])


def eligible_frames(visible: Sequence[float],
                    min_visible: float,
                    clip_len: int = 1,
                    frame_interval: int = 1) -> List[int]:
    """1-based target frames where the actor shows at least ``min_visible`` of
    its area and the centred clip fits without repeated frames; else the
    best-visible fitting frames, else any frame.
    """
    n = len(visible)
    before = (clip_len // 2) * frame_interval
    after = (clip_len - 1 - clip_len // 2) * frame_interval
    fitting = [
        f for f in range(1, n + 1) if f - before >= 1 and f + after <= n
    ] or list(range(1, n + 1))
    good = [f for f in fitting if visible[f - 1] >= min_visible]
    if good:
        return good
    best = max(visible[f - 1] for f in fitting)
    return [f for f in fitting if visible[f - 1] == best]


def pick_frame(candidates: Sequence[int], total_frames: int,
               random: bool) -> int:
    """A random candidate (numpy's global generator, seeded by mmengine), or
    the one nearest to the video's middle (ties: the earlier).
    """
    if random:
        return int(candidates[np.random.randint(len(candidates))])
    mid = (total_frames + 1) / 2
    return int(min(candidates, key=lambda f: (abs(f - mid), f)))
