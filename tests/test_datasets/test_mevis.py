"""MeViS reader and release check on trees the tests write in CSTM
layout (mask_dict.json of COCO RLEs with null frames, multi-object and
no-target expressions, a listed video that is missing)."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from mmcsted.datasets import MISSING_REASON, MeViSDataset
from mmcsted.registry import DATASETS
from tests.helpers import run_tool
from tools.data.ref_vos_tree_check import check_mevis_tree

H, W = 32, 48
NUM_FRAMES = 5


def _frames(n=NUM_FRAMES):
    return [f'{i:05d}' for i in range(n)]


def _box(k, obj):
    """Object ``obj``'s mask in frame ``k`` (object 2 leaves after frame
    2: None)."""
    m = np.zeros((H, W), np.uint8)
    if obj == 1:
        m[2:8, 1 + 3 * k:7 + 3 * k] = 1
    elif obj == 2:
        if k > 2:
            return None
        m[18:28, 30 - 3 * k:40 - 3 * k] = 1
    else:
        m[10:14, 20:24] = 1
    return m


def _rle(mask):
    if mask is None:
        return None
    rle = mask_utils.encode(np.asfortranarray(mask))
    rle['counts'] = rle['counts'].decode('ascii')  # as json stores it
    return rle


def _write_json(path, obj):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(obj, f)


def _write_frames(root, split, vid, frames):
    d = osp.join(root, split, 'JPEGImages', vid)
    os.makedirs(d, exist_ok=True)
    for k, f in enumerate(frames):
        Image.fromarray(np.full((H, W, 3), 30 * k,
                                np.uint8)).save(osp.join(d, f + '.jpg'))


def make_mevis_tree(root, missing_video=True):
    """train: vid1 (objects 1, 2, 3 as anno ids 10, 20, 30; expressions:
    one object, two objects, no target, an empty query), vid2 (one
    expression), vidGone (listed, no folder); valid_u: vidU; valid: vidV
    (no masks)."""
    root = str(root)
    train = {
        'vid1':
        dict(
            expressions={
                '0':
                dict(exp='the square moving right', obj_id=[1], anno_id=[10]),
                '1':
                dict(
                    exp=' the two  squares ', obj_id=[1, 2], anno_id=[10, 20]),
                '2':
                dict(exp='the elephant flying away', obj_id=[], anno_id=[]),
                '3':
                dict(exp='', obj_id=[3], anno_id=[30]),
            },
            frames=_frames()),
        'vid2':
        dict(
            expressions={
                '0': dict(exp='the still dot', obj_id=[3], anno_id=[31])
            },
            frames=_frames(3)),
    }
    masks = {
        str(a): [_rle(_box(k, obj)) for k in range(n)]
        for a, obj, n in ((10, 1, 5), (20, 2, 5), (30, 3, 5), (31, 3, 3))
    }
    if missing_video:
        train['vidGone'] = dict(
            expressions={'0': dict(exp='gone', obj_id=[1], anno_id=[40])},
            frames=_frames(2))
        masks['40'] = [None, None]
    _write_json(
        osp.join(root, 'train/meta_expressions.json'), dict(videos=train))
    _write_json(osp.join(root, 'train/mask_dict.json'), masks)
    _write_frames(root, 'train', 'vid1', _frames())
    _write_frames(root, 'train', 'vid2', _frames(3))

    _write_json(
        osp.join(root, 'valid_u/meta_expressions.json'),
        dict(
            videos={
                'vidU':
                dict(
                    expressions={
                        '0': dict(exp='the box', obj_id=[1], anno_id=[7])
                    },
                    frames=_frames(4))
            }))
    _write_json(
        osp.join(root, 'valid_u/mask_dict.json'),
        {'7': [_rle(_box(k, 1)) for k in range(4)]})
    _write_frames(root, 'valid_u', 'vidU', _frames(4))

    _write_json(
        osp.join(root, 'valid/meta_expressions.json'),
        dict(
            videos={
                'vidV':
                dict(
                    expressions={
                        '0': dict(exp='a moving thing'),
                        '1': dict(exp='another one')
                    },
                    frames=_frames(3))
            }))
    _write_frames(root, 'valid', 'vidV', _frames(3))
    return root


def _infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def test_train_samples_masks_and_flags(tmp_path):
    root = make_mevis_tree(tmp_path)
    ds = MeViSDataset(root, split='train', on_missing='skip')
    # vid1: 3 expressions x 5 frames (the empty query skipped); vid2: 1 x 3
    assert len(ds) == 3 * 5 + 3
    assert ds.num_expressions == 4 and ds.num_videos == 2
    assert ds.num_no_target_expressions == 1
    assert ds.num_multi_object_expressions == 1
    assert ds.skipped == {
        MISSING_REASON: 1,
        'expressions with an empty query': 1
    }
    infos = _infos(ds)
    one = infos[0]
    assert (one['video_id'], one['exp_id'], one['frame_id'],
            one['frame_name']) == ('vid1', '0', 1, '00000')
    assert one['mask_format'] == 'coco_rle' and one['no_target'] is False
    assert one['object_ids'] == [1] and one['anno_ids'] == [10]
    assert one['frame_names'] == [f + '.jpg' for f in _frames()]
    two = [d for d in infos if d['exp_id'] == '1']
    assert two[0]['query'] == 'the two squares'
    assert two[0]['object_ids'] == [1, 2]
    # object 2 is absent (null RLE) from frame 4 on
    assert two[3]['mask_rles'][1] is None
    assert two[2]['mask_rles'][1] is not None
    none = [d for d in infos if d['exp_id'] == '2']
    assert len(none) == 5
    assert all(d['no_target'] and d['mask_rles'] == [] for d in none)
    assert DATASETS.get('MeViSDataset') is MeViSDataset


def test_multi_object_target_is_the_union_and_no_target_is_empty(tmp_path):
    root = make_mevis_tree(tmp_path)
    pipeline = [
        dict(type='VideoInit'),
        dict(type='SampleClipAroundFrame', clip_len=4),
        dict(type='VideoDecode'),
        dict(type='ResizePadSquare', size=64),
        dict(type='LoadActorMask'),
        dict(type='PackActorSegInputs')
    ]
    ds = MeViSDataset(
        root,
        split='train',
        on_missing='skip',
        test_mode=True,
        pipeline=pipeline)
    infos = _infos(ds)
    for k in range(NUM_FRAMES):
        i = next(j for j, d in enumerate(infos)
                 if d['exp_id'] == '1' and d['frame_id'] == k + 1)
        sample = ds[i]['data_samples']
        want = _box(k, 1).copy()
        if _box(k, 2) is not None:
            want |= _box(k, 2)
        gt = sample.gt_sem_seg.data[0].numpy()
        assert gt.shape == (H, W)
        np.testing.assert_array_equal(gt, want)
        assert sample.object_ids == [1, 2] and sample.exp_id == '1'
    i = next(j for j, d in enumerate(infos) if d['exp_id'] == '2')
    out = ds[i]
    assert tuple(out['inputs'].shape) == (3, 4, 64, 64)
    assert out['data_samples'].gt_sem_seg.data.sum() == 0
    assert out['data_samples'].gt_sem_seg.data.shape[-2:] == (H, W)


def test_frame_stride_and_valid_u(tmp_path):
    root = make_mevis_tree(tmp_path)
    ds = MeViSDataset(root, split='train', frame_stride=2, on_missing='skip')
    assert [
        d['frame_id'] for d in _infos(ds)
        if d['video_id'] == 'vid1' and d['exp_id'] == '0'
    ] == [1, 3, 5]
    vu = MeViSDataset(root, split='valid_u', test_mode=True)
    infos = _infos(vu)
    assert len(infos) == 4 and infos[0]['mask_format'] == 'coco_rle'
    assert {a for d in infos for a in d['anno_ids']} == {7}
    assert all(len(d['mask_rles']) == 1 for d in infos)


def test_valid_has_no_masks(tmp_path):
    root = make_mevis_tree(tmp_path)
    ds = MeViSDataset(root, split='valid', test_mode=True)
    infos = _infos(ds)
    assert len(infos) == 2 * 3
    assert all(d['mask_format'] == 'none' and 'mask_rles' not in d
               for d in infos)
    assert infos[0]['object_ids'] == []


def test_missing_video_is_an_error_naming_it(tmp_path):
    root = make_mevis_tree(tmp_path)
    with pytest.raises(FileNotFoundError, match='vidGone'):
        MeViSDataset(root, split='train')


def test_mask_dict_problems_name_the_expression(tmp_path):
    root = make_mevis_tree(tmp_path, missing_video=False)
    path = osp.join(root, 'train/mask_dict.json')
    with open(path) as f:
        masks = json.load(f)
    short = dict(masks, **{'20': masks['20'][:3]})
    _write_json(path, short)
    with pytest.raises(
            ValueError, match="'vid1' expression '1'.*anno_id 20 has 3 masks"):
        MeViSDataset(root, split='train')
    _write_json(path, {k: v for k, v in masks.items() if k != '31'})
    with pytest.raises(
            ValueError, match="'vid2' expression '0'.*anno_id 31 is not"):
        MeViSDataset(root, split='train')
    longer = dict(masks, **{'31': masks['31'] + [None]})
    _write_json(path, longer)
    ds = MeViSDataset(root, split='train')
    assert sum('longer' in k for k in ds.skipped) == 1


# -- release check ------------------------------------------------------
def test_check_tree_ok_with_counts(tmp_path):
    root = make_mevis_tree(tmp_path, missing_video=False)
    r = check_mevis_tree(root, deep=True)
    assert r.ok, r.render()
    text = r.render()
    assert ('train: 2 videos, 5 expressions (1 multi-object, 1 with no '
            'target' in text)
    assert 'valid: 1 videos, 2 expressions' in text


def test_check_tree_names_what_is_missing(tmp_path):
    root = make_mevis_tree(tmp_path)
    os.remove(osp.join(root, 'train/JPEGImages/vid1/00003.jpg'))
    path = osp.join(root, 'train/mask_dict.json')
    with open(path) as f:
        masks = json.load(f)
    masks.pop('31')
    masks['20'] = masks['20'][:2]
    _write_json(path, masks)
    os.remove(osp.join(root, 'valid_u/mask_dict.json'))
    r = check_mevis_tree(root)
    assert not r.ok
    text = r.render()
    assert 'train/JPEGImages/vidGone/' in text
    assert 'train/JPEGImages/vid1/00003.jpg' in text
    assert 'vid2 expression 0: anno_id 31' in text
    assert 'anno_id 20 has 2 masks for 5 frames' in text
    assert 'valid_u: mask_dict.json not found' in text


def test_check_tree_deep_finds_wrong_sized_rles(tmp_path):
    root = make_mevis_tree(tmp_path, missing_video=False)
    path = osp.join(root, 'valid_u/mask_dict.json')
    _write_json(path, {'7': [_rle(np.ones((5, 5), np.uint8))] * 4})
    assert check_mevis_tree(root).ok
    r = check_mevis_tree(root, deep=True)
    assert any('do not decode to their frame size' in e for e in r.errors)


def test_check_tree_cli_and_absent_splits(tmp_path):
    root = make_mevis_tree(tmp_path, missing_video=False)
    rc, out = run_tool('mevis/check_tree.py', root, capture=True)
    assert rc == 0 and 'result: OK' in out
    rc, out = run_tool(
        'mevis/check_tree.py', str(tmp_path / 'nothing'), capture=True)
    assert rc == 1 and 'no split folder' in out
    import shutil
    shutil.rmtree(osp.join(root, 'valid'))
    rc, out = run_tool('mevis/check_tree.py', root, capture=True)
    assert rc == 0 and 'split folder not found' in out


def test_prepare_writes_the_train_vocabulary(tmp_path):
    root = make_mevis_tree(tmp_path, missing_video=False)
    rc, out = run_tool('mevis/prepare.py', root, capture=True)
    assert rc == 0, out
    with open(osp.join(root, 'vocab.json'), encoding='utf-8') as f:
        words = json.load(f)
    train = json.load(open(osp.join(root, 'train/meta_expressions.json')))
    exps = [
        e['exp'] for v in train['videos'].values()
        for e in v['expressions'].values()
    ]
    assert exps and all(w in words for e in exps for w in e.lower().split())


def test_rles_are_serialized_with_the_samples_and_copied(tmp_path):
    # the RLEs live in the serialized data_list (mmengine's serialize_data):
    # each get_data_info is a fresh copy and the full mask_dict is dropped
    root = make_mevis_tree(tmp_path)
    ds = MeViSDataset(root, split='valid_u', test_mode=True)
    assert ds._all_masks is None and ds.data_bytes.dtype == np.uint8
    first = ds.get_data_info(0)['mask_rles']
    assert first[0] is not None
    first[0]['counts'] = 'changed'
    assert ds.get_data_info(0)['mask_rles'][0]['counts'] != 'changed'
