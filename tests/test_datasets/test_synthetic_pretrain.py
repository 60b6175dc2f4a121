"""Synthetic Kinetics / Synthetic ImageNet: the pretraining sets cut from the
synthetic benchmark (mmcsted/datasets/synthetic_pretrain.py and their
transforms, mmcsted/datasets/transforms/actor_crop.py); the annotation
files: tests/test_tools/test_data/test_pretrain_annotations.py."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest

from mmcsted.datasets import SyntheticActorDataset
from mmcsted.datasets.transforms.actor_crop import eligible_frames
from mmcsted.registry import DATASETS, TRANSFORMS
from tools.data.synthetic import world as syn
from tools.data.synthetic.pretrain_annotations import annotation_file


@pytest.fixture
def tiny(synthetic_actor_tree):
    return synthetic_actor_tree


def _dataset(root, set_name='synthetic_kinetics', split='trainval', **kwargs):
    return SyntheticActorDataset(
        root, ann_file=annotation_file(set_name, split), **kwargs)


def test_samples_and_classes_come_from_the_annotation_file(tiny):
    root, meta = tiny
    ds = DATASETS.build(
        dict(
            type='SyntheticActorDataset',
            data_root=root,
            ann_file='annotations/synthetic_kinetics_train.json'))
    assert ds.metainfo['classes'] == list(syn.ACTIONS)
    info = ds.get_data_info(0)
    assert info['video_path'] == osp.join(root, 'Release', 'clips320H',
                                          info['video_id'] + '.mp4')
    assert meta['videos'][info['video_id']]['subset'] == 0
    assert not info['test_mode']
    assert 'synthetic_kinetics_train.json' in ds.owner


def test_a_missing_video_is_an_error_or_a_counted_skip(tiny, tmp_path):
    root, _ = tiny
    tree = str(tmp_path / 'tree')
    shutil.copytree(root, tree)
    full = _dataset(tree)
    gone = full.get_data_info(0)
    os.remove(gone['video_path'])
    with pytest.raises(FileNotFoundError, match=gone['video_id']):
        _dataset(tree)
    ds = _dataset(tree, on_missing='skip')
    assert gone['video_id'] not in {
        ds.get_data_info(i)['video_id']
        for i in range(len(ds))
    }
    assert sum(ds.skipped.values()) == 1 and len(ds) < len(full)


def test_a_tree_without_annotation_files_names_the_tool(tiny, tmp_path):
    root, _ = tiny
    shutil.copytree(osp.join(root, 'Release'), tmp_path / 'Release')
    with pytest.raises(FileNotFoundError, match='pretrain_annotations.py'):
        _dataset(str(tmp_path))


def test_eligible_frames():
    vis = [0.1, 0.9, 0.9, 0.9, 0.9, 0.2, 0.9, 0.9, 0.9, 0.9]
    # 4-frame clips centred at f need f - 2 >= 1 and f + 1 <= 10
    assert eligible_frames(vis, 0.5, clip_len=4) == [3, 4, 5, 7, 8, 9]
    assert eligible_frames(vis, 0.5, clip_len=1) == [2, 3, 4, 5, 7, 8, 9, 10]
    # nothing visible enough: the best-visible fitting frames
    assert eligible_frames([0.1, 0.3, 0.2], 0.5) == [2]


def _pipeline(clip_len, **crop):
    return [
        dict(type='SampleActorClip', clip_len=clip_len),
        dict(type='VideoInit'),
        dict(type='VideoDecode'),
        dict(type='CropAroundActor', **crop),
    ]


def test_clip_is_cropped_around_the_actor(tiny):
    root, meta = tiny
    ds = _dataset(
        root, test_mode=True, pipeline=_pipeline(8, crop_size=30, out_size=30))
    hits = n = 0
    for i in range(len(ds)):
        r = ds[i]
        assert len(r['imgs']) == 8 and r['imgs'][0].shape == (30, 30, 3)
        assert r['frame_inds'] == list(
            range(r['frame_id'] - 4, r['frame_id'] + 4))
        assert r['visible'][r['frame_id'] - 1] >= 0.5 or \
            max(r['visible']) < 0.5
        if r['shape'] == 'ring':  # the centre is the ring's hole
            continue
        n += 1
        centre = r['imgs'][4][14:16, 14:16].reshape(-1, 3).mean(0)
        hits += np.abs(centre - syn.COLOURS[r['colour']]).max() < 40
    # the target frame's centre pixel has the actor's colour (bar occlusion
    # by a nearer actor)
    assert n and hits >= 0.8 * n


def test_window_is_fixed_over_the_clip_and_padded():
    crop = TRANSFORMS.build(
        dict(type='CropAroundActor', crop_size=8, out_size=8))
    imgs = [np.full((10, 12, 3), t, np.uint8) for t in range(3)]
    r = crop(
        dict(
            imgs=imgs,
            centres=[[1, 1], [6, 5], [11, 9]],
            frame_id=2,
            test_mode=True))
    assert r['crop_box'] == (2, 1, 10, 9)  # from frame 2's centre only
    assert [int(i[0, 0, 0]) for i in r['imgs']] == [0, 1, 2]
    r = crop(dict(imgs=imgs, centres=[[0, 0]] * 3, frame_id=1, test_mode=True))
    assert (r['imgs'][2][:4, :4] == 0).all()  # outside the frame: padding
    assert (r['imgs'][2][4:, 4:] == 2).all()


def test_flip_mirrors_left_and_right():
    """The configs' flips (mmaction2's Flip with the pretraining set's label
    map, mmpretrain's RandomFlip after ClipToImage) mirror the crops."""
    from mmaction.datasets.transforms import Flip
    from mmpretrain.datasets.transforms import RandomFlip
    flip = Flip(flip_ratio=1.0, flip_label_map={0: 1, 1: 0})
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    sample = dict(visible=[1.0] * 3, total_frames=3, test_mode=True)
    sample = TRANSFORMS.build(dict(type='SampleActorClip', clip_len=1))(sample)
    for label, expected in ((0, 1), (1, 0), (2, 2), (4, 4)):
        r = flip(
            dict(sample, imgs=[img.copy()], img_shape=(2, 3), label=label))
        assert r['label'] == expected and r['flip']
        assert (r['imgs'][0] == img[:, ::-1]).all()
    image_flip = RandomFlip(prob=1.0, direction='horizontal')
    r = image_flip(dict(img=img.copy(), label=0))
    assert r['label'] == 0 and r['flip']
    assert (r['img'] == img[:, ::-1]).all()


def test_image_sample(tiny):
    root, _ = tiny
    ds = _dataset(
        root,
        'synthetic_imagenet',
        test_mode=True,
        pipeline=_pipeline(1, crop_size=30, out_size=24) +
        [dict(type='ClipToImage')])
    r = ds[0]
    assert r['img'].shape == (24, 24, 3) and 'imgs' not in r
    assert r['gt_label'] == r['label'] and len(r['frame_inds']) == 1
    # test mode: the eligible frame nearest to the middle, every time
    assert ds[0]['frame_id'] == r['frame_id']
