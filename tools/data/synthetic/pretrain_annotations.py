"""Write the annotation files of the synthetic pretraining sets, cut from a
generated synthetic A2D-format benchmark: Synthetic Kinetics (actor clips
labelled by action) and Synthetic ImageNet (actor crops labelled
``'<size> <colour> <shape>'``), one file per set and split in mmengine's
annotation format, read by ``mmcsted.SyntheticActorDataset``
(docs/dataset_prepare.md, "Synthetic pretraining sets").

The generator writes them with the tree; for a tree generated before::

    python tools/data/synthetic/pretrain_annotations.py data/synthetic_a2d
"""
import argparse
import hashlib
import os
import os.path as osp
import sys
from typing import Callable, Dict, List, Optional

from mmcsted.utils.atomic_write import atomic_write_json

# run as a script: the folder holding tools/ goes on the path for the
# modules tools share (tools.data.synthetic.world)
if __name__ == '__main__':
    sys.path.insert(0, osp.abspath(__file__ + '/../../../..'))

from tools.data.synthetic import world  # noqa: E402

#: class names of Synthetic ImageNet: ``'<size> <colour> <shape>'``, index
#: ``(size * len(COLOURS) + colour) * len(SHAPES) + shape``
APPEARANCE_CLASSES = tuple(f'{s} {c} {sh}' for s in world.SIZES
                           for c in world.COLOURS for sh in world.SHAPES)
SPLITS = ('train', 'val', 'trainval', 'test')
ANNOTATION_DIR = 'annotations'


def appearance_label(shape: str, colour: str, size: str) -> int:
    """Index of ``'<size> <colour> <shape>'`` in :data:`APPEARANCE_CLASSES`."""
    size_colour = (
        world.SIZES.index(size) * len(world.COLOURS) +
        list(world.COLOURS).index(colour))
    return size_colour * len(world.SHAPES) + world.SHAPES.index(shape)


#: set name -> (class names, the label of an actor)
PRETRAINING_SETS: Dict[str, tuple] = {
    'synthetic_kinetics':
    (world.ACTIONS, lambda a: world.ACTIONS.index(a['action'])),
    'synthetic_imagenet':
    (APPEARANCE_CLASSES,
     lambda a: appearance_label(a['shape'], a['colour'], a['size'])),
}


def annotation_file(set_name: str, split: str) -> str:
    """The path of a set's annotation file, relative to the tree's root."""
    return osp.join(ANNOTATION_DIR, f'{set_name}_{split}.json')


def in_val_holdout(video_id: str, val_ratio: float) -> bool:
    """Whether a train video is held out for validation (a fixed hash of its
    id, so the split does not depend on the order or number of videos)."""
    h = int(hashlib.sha1(video_id.encode('utf-8')).hexdigest()[:8], 16)
    return h / 0xFFFFFFFF < val_ratio


def in_split(video_id: str, video: Dict, split: str, val_ratio: float) -> bool:
    """``test``: the benchmark's test videos; ``trainval``: its train
    videos, split by :func:`in_val_holdout` into ``val`` and ``train``."""
    if split == 'test':
        return video['subset'] == 1
    if video['subset'] != 0:
        return False
    if split == 'trainval':
        return True
    held_out = in_val_holdout(video_id, val_ratio)
    return held_out if split == 'val' else not held_out


def actor_samples(meta: Dict, split: str, label_of: Callable, val_ratio: float,
                  min_visible: float) -> List[dict]:
    """One sample per actor of the split's videos that shows at least
    ``min_visible`` of its area in some frame, by video id and instance
    id."""
    p = meta['params']
    samples = []
    for vid in sorted(meta['videos']):
        video = meta['videos'][vid]
        if not in_split(vid, video, split, val_ratio):
            continue
        if 'tracks' not in video:
            raise ValueError(
                'generator_meta.json has no actor tracks (an older generator '
                'wrote it); regenerate the tree with '
                'tools/data/synthetic/generate.py')
        for a in sorted(video['actors'], key=lambda a: a['instance_id']):
            track = video['tracks'][str(a['instance_id'])]
            if max(track['visible']) < min_visible:
                continue
            samples.append(
                dict(
                    video_id=vid,
                    video_path=f'{vid}.mp4',
                    frame_dir=None,
                    instance_id=a['instance_id'],
                    label=label_of(a),
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
                    min_visible=min_visible))
    return samples


def write_pretrain_annotations(root: str,
                               meta: Optional[Dict] = None,
                               val_ratio: float = 0.1,
                               min_visible: float = 0.5) -> List[str]:
    """Write every set's annotation file of each split under
    ``<root>/annotations`` (``meta``: the tree's ``generator_meta.json``,
    read when not given); returns their paths."""
    if not 0 <= val_ratio < 1:
        raise ValueError(f'val_ratio must be in [0, 1), got {val_ratio}')
    meta = meta or world.load_meta(root)
    os.makedirs(osp.join(root, ANNOTATION_DIR), exist_ok=True)
    paths = []
    for set_name, (classes, label_of) in PRETRAINING_SETS.items():
        for split in SPLITS:
            path = osp.join(root, annotation_file(set_name, split))
            samples = actor_samples(meta, split, label_of, val_ratio,
                                    min_visible)
            atomic_write_json(
                dict(metainfo=dict(classes=list(classes)), data_list=samples),
                path)
            paths.append(path)
    return paths


def has_pretrain_annotations(root: str) -> bool:
    """Whether every annotation file of the pretraining sets is there."""
    return all(
        osp.isfile(osp.join(root, annotation_file(name, split)))
        for name in PRETRAINING_SETS for split in SPLITS)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('root', help='a generated synthetic A2D tree')
    parser.add_argument(
        '--val-ratio',
        type=float,
        default=0.1,
        help='share of the train videos held out as the val split')
    parser.add_argument(
        '--min-visible',
        type=float,
        default=0.5,
        help='an actor is a sample if it shows at least this share of its '
        'area in some frame')
    args = parser.parse_args(argv)
    for path in write_pretrain_annotations(args.root, None, args.val_ratio,
                                           args.min_visible):
        print('wrote', path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
