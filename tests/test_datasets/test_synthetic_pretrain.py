"""Synthetic Kinetics / Synthetic ImageNet: the pretraining sets cut from the
synthetic benchmark (mmcsted/datasets/synthetic_pretrain.py)."""
import json
import os.path as osp
import shutil

import numpy as np
import pytest

from mmcsted.datasets import SyntheticImageNetDataset, SyntheticKineticsDataset
from mmcsted.datasets import synthetic as syn
from mmcsted.datasets.synthetic_pretrain import (APPEARANCE_CLASSES,
                                                 appearance_label,
                                                 eligible_frames)
from mmcsted.registry import TRANSFORMS
from tests.dataset_trees import make_synthetic_a2d
from tools.data.synthetic.render import actor_pose


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('synthetic_pretrain'))
    # frames wide enough for decord (see DecordFrameReader), 12 frames so
    # that an 8-frame clip fits around several targets
    make_synthetic_a2d(
        root, num_videos=10, height=48, width=64, num_frames=12, seed=5)
    return root, syn.load_meta(root)


def _infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def _keys(ds):
    return {(d['video_id'], d['instance_id']) for d in _infos(ds)}


def test_splits_use_train_videos_only(tiny):
    root, meta = tiny
    train = SyntheticKineticsDataset(root, split='train', val_ratio=0.3)
    val = SyntheticKineticsDataset(root, split='val', val_ratio=0.3)
    trainval = SyntheticKineticsDataset(root, split='trainval')
    test = SyntheticKineticsDataset(root, split='test')
    assert _keys(train).isdisjoint(_keys(val))
    assert _keys(train) | _keys(val) == _keys(trainval)
    assert all(meta['videos'][v]['subset'] == 0 for v, _ in _keys(trainval))
    assert all(meta['videos'][v]['subset'] == 1 for v, _ in _keys(test))
    # every visible actor of a train video is a sample
    n = sum(
        len(v['actors']) for v in meta['videos'].values() if v['subset'] == 0)
    assert len(trainval) <= n and len(trainval) >= n - 2
    with pytest.raises(ValueError, match='split'):
        SyntheticKineticsDataset(root, split='validation')


def test_labels_are_the_actors_own(tiny):
    root, meta = tiny
    kin = SyntheticKineticsDataset(root, split='trainval')
    img = SyntheticImageNetDataset(root, split='trainval')
    assert kin.metainfo['classes'] == syn.ACTIONS
    assert img.metainfo['classes'] == APPEARANCE_CLASSES
    assert len(APPEARANCE_CLASSES) == 96
    actors = {
        (vid, a['instance_id']): a
        for vid, v in meta['videos'].items()
        for a in v['actors']
    }
    for d in _infos(kin):
        a = actors[(d['video_id'], d['instance_id'])]
        assert syn.ACTIONS[d['label']] == a['action']
        assert len(d['centres']) == len(d['visible']) == 12
        x, y, _ = actor_pose(a, 5)
        assert d['centres'][5] == pytest.approx([x, y])
    for d in _infos(img):
        a = actors[(d['video_id'], d['instance_id'])]
        assert APPEARANCE_CLASSES[d['label']] == \
            f'{a["size"]} {a["colour"]} {a["shape"]}'
    assert appearance_label('ring', 'cyan', 'big') == 95


def test_a_tree_without_tracks_is_refused(tiny, tmp_path):
    root, meta = tiny
    old = dict(
        meta,
        videos={
            v: {
                k: x
                for k, x in e.items() if k != 'tracks'
            }
            for v, e in meta['videos'].items()
        })
    (tmp_path / 'generator_meta.json').write_text(json.dumps(old))
    shutil.copytree(osp.join(root, 'Release'), tmp_path / 'Release')
    with pytest.raises(ValueError, match='no actor tracks.*regenerate'):
        SyntheticKineticsDataset(str(tmp_path), split='trainval')


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
    ds = SyntheticKineticsDataset(
        root,
        split='trainval',
        test_mode=True,
        pipeline=_pipeline(8, crop_size=30, out_size=30))
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
    ds = SyntheticImageNetDataset(
        root,
        split='trainval',
        test_mode=True,
        pipeline=_pipeline(1, crop_size=30, out_size=24) +
        [dict(type='ClipToImage')])
    r = ds[0]
    assert r['img'].shape == (24, 24, 3) and 'imgs' not in r
    assert r['gt_label'] == r['label'] and len(r['frame_inds']) == 1
    # test mode: the eligible frame nearest to the middle, every time
    assert ds[0]['frame_id'] == r['frame_id']
