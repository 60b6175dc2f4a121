"""Ref-YouTube-VOS reader and release check on trees the tests write in the
official layout (palette PNGs, the valid/test split, a listed video that is
missing, an empty expression)."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.dataset import Compose
from PIL import Image

from mmcsted.datasets import MISSING_REASON, RefYouTubeVOSDataset
from mmcsted.registry import DATASETS
from tests.helpers import run_tool
from tools.data.ref_vos_tree_check import check_ref_youtube_vos_tree

H, W = 32, 48
PALETTE = [0, 0, 0, 236, 95, 103, 249, 145, 87] + [7] * (256 * 3 - 9)


def _frames(n):
    return [f'{5 * i:05d}' for i in range(n)]


def _object_ids(k):
    """Object-id image of frame ``k``: object 1 a box moving right, object 2
    a fixed bar, 0 elsewhere."""
    ids = np.zeros((H, W), np.uint8)
    ids[4:12, 2 + 2 * k:10 + 2 * k] = 1
    ids[20:26, 30:44] = 2
    return ids


def _write_video(root, split, vid, frames, masks=True):
    jdir = osp.join(root, split, 'JPEGImages', vid)
    os.makedirs(jdir, exist_ok=True)
    for k, f in enumerate(frames):
        img = np.full((H, W, 3), 40 * (k + 1) % 256, np.uint8)
        Image.fromarray(img).save(osp.join(jdir, f + '.jpg'))
        if masks:
            adir = osp.join(root, split, 'Annotations', vid)
            os.makedirs(adir, exist_ok=True)
            png = Image.fromarray(_object_ids(k), 'P')
            png.putpalette(PALETTE)
            png.save(osp.join(adir, f + '.png'))


def _write_json(path, obj):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(obj, f)


def make_ytvos_tree(root, missing_video=True, test_file=True):
    """train: vidA (2 objects, 6 frames, 3 expressions one of them empty),
    vidB (1 object, 3 frames), vidGone (listed, no folders);
    valid file: val1, val2, tst1 (tst1 in the test file too)."""
    root = str(root)
    train = {
        'vidA':
        dict(
            expressions={
                '0': dict(exp='a  red\tsquare moving right \n', obj_id='1'),
                '1': dict(exp='the bar', obj_id='2'),
                '2': dict(exp='   ', obj_id='1'),
            },
            frames=_frames(6)[::-1]),  # unsorted in the file on purpose
        'vidB':
        dict(
            expressions={'0': dict(exp='a box', obj_id='1')},
            frames=_frames(3)),
    }
    if missing_video:
        train['vidGone'] = dict(
            expressions={'0': dict(exp='nothing here', obj_id='1')},
            frames=_frames(2))
    _write_json(
        osp.join(root, 'meta_expressions/train/meta_expressions.json'),
        dict(videos=train))
    meta = {
        vid:
        dict(
            objects={
                '1': dict(category='cat', frames=_frames(6)),
                '2': dict(category='dog', frames=_frames(6))
            })
        for vid in train
    }
    _write_json(osp.join(root, 'train/meta.json'), dict(videos=meta))
    _write_video(root, 'train', 'vidA', _frames(6))
    _write_video(root, 'train', 'vidB', _frames(3))

    valid = {
        'val1':
        dict(
            expressions={
                '0': dict(exp='a fish'),
                '1': dict(exp='a boat')
            },
            frames=_frames(4)),
        'val2':
        dict(expressions={'0': dict(exp='a bird')}, frames=_frames(2)),
        'tst1':
        dict(expressions={'0': dict(exp='a test video')}, frames=_frames(3)),
    }
    _write_json(
        osp.join(root, 'meta_expressions/valid/meta_expressions.json'),
        dict(videos=valid))
    if test_file:
        _write_json(
            osp.join(root, 'meta_expressions/test/meta_expressions.json'),
            dict(videos={'tst1': valid['tst1']}))
    for vid, entry in valid.items():
        _write_video(root, 'valid', vid, entry['frames'], masks=False)
    return root


def test_train_samples_one_per_expression_and_frame(tmp_path):
    root = make_ytvos_tree(tmp_path)
    ds = RefYouTubeVOSDataset(
        root, split='train', on_missing='skip', serialize_data=False)
    # vidA: 2 usable expressions x 6 frames; vidB: 1 x 3
    assert len(ds) == 2 * 6 + 3
    assert ds.num_expressions == 3 and ds.num_videos == 2
    assert ds.skipped == {
        MISSING_REASON: 1,
        'expressions with an empty query': 1
    }
    s = ds.get_data_info(0)
    assert s['video_id'] == 'vidA' and s['exp_id'] == '0'
    assert s['query'] == 'a red square moving right'
    assert s['frame_names'] == [f + '.jpg' for f in _frames(6)]
    assert (s['frame_id'], s['frame_name']) == (1, '00000')
    assert s['object_ids'] == [1] and s['category'] == 'cat'
    assert s['mask_format'] == 'index_png'
    assert s['mask_file'] == osp.join(root, 'train/Annotations/vidA/00000.png')
    assert s['frame_dir'] == osp.join(root, 'train/JPEGImages/vidA')
    last = ds.get_data_info(5)
    assert (last['frame_id'], last['frame_name']) == (6, '00025')
    assert ds.get_data_info(6)['object_ids'] == [2]
    # registered for configs
    built = DATASETS.build(
        dict(type='RefYouTubeVOSDataset', data_root=root, on_missing='skip'))
    assert len(built) == len(ds)


def test_frame_stride_thins_training_not_test(tmp_path):
    root = make_ytvos_tree(tmp_path)
    ds = RefYouTubeVOSDataset(
        root, split='train', frame_stride=4, on_missing='skip')
    # vidA frames 1 and 5 for each of 2 expressions; vidB frame 1
    assert [(d['video_id'], d['frame_id'])
            for d in map(ds.get_data_info, range(len(ds)))] == [('vidA', 1),
                                                                ('vidA', 5),
                                                                ('vidA', 1),
                                                                ('vidA', 5),
                                                                ('vidB', 1)]
    full = RefYouTubeVOSDataset(
        root, split='train', frame_stride=4, on_missing='skip', test_mode=True)
    assert len(full) == 15
    with pytest.raises(ValueError, match='frame_stride'):
        RefYouTubeVOSDataset(root, frame_stride=0)


def test_missing_video_is_an_error_naming_it(tmp_path):
    root = make_ytvos_tree(tmp_path)
    with pytest.raises(FileNotFoundError, match='vidGone'):
        RefYouTubeVOSDataset(root, split='train')


def test_unknown_obj_id_is_a_counted_skip(tmp_path):
    root = make_ytvos_tree(tmp_path, missing_video=False)
    path = osp.join(root, 'meta_expressions/train/meta_expressions.json')
    with open(path) as f:
        data = json.load(f)
    data['videos']['vidB']['expressions']['1'] = dict(exp='x', obj_id='7')
    _write_json(path, data)
    ds = RefYouTubeVOSDataset(root, split='train')
    key = ("train expressions whose obj_id is not among the video's "
           'objects in train/meta.json')
    assert ds.skipped[key] == 1 and len(ds) == 15


def test_valid_is_valid_minus_test(tmp_path):
    root = make_ytvos_tree(tmp_path)
    ds = RefYouTubeVOSDataset(
        root, split='valid', test_mode=True, serialize_data=False)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert {d['video_id'] for d in infos} == {'val1', 'val2'}
    assert ds.num_test_videos_excluded == 1
    # every listed frame of every expression
    assert len(infos) == 2 * 4 + 2
    assert all(d['mask_format'] == 'none' and 'mask_file' not in d
               for d in infos)
    assert infos[0]['object_ids'] == []
    # what the submission writer checks the zip against
    expected = ds.metainfo['expected_frames']
    assert set(expected) == {'val1', 'val2'}
    assert sum(len(f) for e in expected.values()
               for f in e.values()) == len(infos)
    assert expected['val1'][infos[0]['exp_id']][0] == infos[0]['frame_name']
    every = RefYouTubeVOSDataset(
        root, split='valid', test_mode=True, exclude_test_videos=False)
    assert len(every) == 10 + 3


def test_valid_without_test_file_fails_clearly(tmp_path):
    root = make_ytvos_tree(tmp_path, test_file=False)
    with pytest.raises(FileNotFoundError, match='valid list minus the test'):
        RefYouTubeVOSDataset(root, split='valid', test_mode=True)
    ds = RefYouTubeVOSDataset(
        root, split='valid', test_mode=True, exclude_test_videos=False)
    assert ds.num_videos == 3


def test_malformed_expression_file_names_the_video(tmp_path):
    root = make_ytvos_tree(tmp_path)
    path = osp.join(root, 'meta_expressions/train/meta_expressions.json')
    _write_json(path, dict(videos={'vidA': dict(expressions={})}))
    with pytest.raises(ValueError, match="'vidA' has no \"frames\""):
        RefYouTubeVOSDataset(root, split='train')


def test_a_sample_through_the_test_pipeline(tmp_path):
    root = make_ytvos_tree(tmp_path)
    ds = RefYouTubeVOSDataset(
        root,
        split='train',
        on_missing='skip',
        test_mode=True,
        pipeline=[
            dict(type='VideoInit'),
            dict(type='SampleClipAroundFrame', clip_len=4),
            dict(type='VideoDecode'),
            dict(type='ResizePadSquare', size=64),
            dict(type='LoadActorMask'),
            dict(type='PackActorSegInputs')
        ])
    assert isinstance(ds.pipeline, Compose)
    # vidA expression '1' (the bar, object 2), frame 3 ('00010')
    idx = next(
        i for i in range(len(ds)) if ds.get_data_info(i)['exp_id'] == '1'
        and ds.get_data_info(i)['frame_id'] == 3)
    out = ds[idx]
    assert tuple(out['inputs'].shape) == (3, 4, 64, 64)
    sample = out['data_samples']
    assert sample.frame_inds == [1, 2, 3, 4] and sample.target_index == 2
    assert sample.exp_id == '1' and sample.frame_name == '00010'
    assert sample.object_ids == [2]
    gt = sample.gt_sem_seg.data[0].numpy()
    assert gt.shape == (H, W)  # original resolution
    np.testing.assert_array_equal(gt, (_object_ids(2) == 2).astype(np.uint8))
    # object 1 of the same frame: the moving box at its frame-3 place
    first = ds[next(
        i for i in range(len(ds)) if ds.get_data_info(i)['exp_id'] == '0'
        and ds.get_data_info(i)['frame_id'] == 3)]
    np.testing.assert_array_equal(first['data_samples'].gt_sem_seg.data[0],
                                  (_object_ids(2) == 1).astype(np.uint8))


# -- release check ------------------------------------------------------
def test_check_tree_ok_notes_the_split_trap(tmp_path):
    root = make_ytvos_tree(tmp_path, missing_video=False)
    r = check_ref_youtube_vos_tree(root)
    assert r.ok, r.render()
    text = r.render()
    assert '1 of the 3 videos of the valid file are in the test list' in text
    assert 'valid minus test: 2 videos' in text
    assert 'the tree has 202' in text
    # one empty expression in train
    assert any('empty' in w for w in r.warnings)


def test_check_tree_names_what_is_missing(tmp_path):
    root = make_ytvos_tree(tmp_path)
    os.remove(osp.join(root, 'train/JPEGImages/vidA/00010.jpg'))
    os.remove(osp.join(root, 'train/Annotations/vidB/00005.png'))
    os.remove(osp.join(root, 'meta_expressions/test/meta_expressions.json'))
    r = check_ref_youtube_vos_tree(root)
    assert not r.ok
    text = r.render()
    assert 'vidGone' in text
    assert 'vidA/00010.jpg' in text
    assert 'vidB/00005.png' in text
    assert any('test/meta_expressions.json' in w for w in r.warnings)


def test_check_tree_cli(tmp_path):
    root = make_ytvos_tree(tmp_path, missing_video=False)
    rc, out = run_tool('ref_youtube_vos/check_tree.py', root, capture=True)
    assert rc == 0 and 'result: OK' in out
    os.remove(osp.join(root, 'meta_expressions/train/meta_expressions.json'))
    rc, out = run_tool('ref_youtube_vos/check_tree.py', root, capture=True)
    assert rc == 1 and 'train/meta_expressions.json' in out


def test_prepare_writes_the_train_vocabulary(tmp_path):
    root = make_ytvos_tree(tmp_path)  # vidGone is missing
    rc, out = run_tool('ref_youtube_vos/prepare.py', root, capture=True)
    assert rc == 1 and 'stopping' in out
    assert not osp.exists(osp.join(root, 'vocab.json'))
    rc, out = run_tool(
        'ref_youtube_vos/prepare.py', root, '--force', capture=True)
    assert rc == 0, out
    with open(osp.join(root, 'vocab.json'), encoding='utf-8') as f:
        words = json.load(f)
    train = json.load(
        open(osp.join(root, 'meta_expressions/train/meta_expressions.json')))
    first = next(iter(train['videos'].values()))
    exp = next(e['exp'] for e in first['expressions'].values() if e['exp'])
    assert all(w in words for w in exp.lower().split())
    # valid expressions are not in the train vocabulary unless also in train
    assert words[:2] == ['<pad>', '<unk>']


def _add_expressions(root, split, vid, expressions):
    path = osp.join(root, f'meta_expressions/{split}/meta_expressions.json')
    with open(path) as f:
        meta = json.load(f)
    meta['videos'][vid]['expressions'].update(expressions)
    _write_json(path, meta)


def test_punctuation_only_query_is_an_empty_one(tmp_path):
    """'?!... --' has no word: skipped and counted in training like '' (it
    crashed the tokeniser mid-epoch); at test time listed for the submission
    writer to fill with empty masks."""
    root = make_ytvos_tree(tmp_path)
    _add_expressions(root, 'train', 'vidB',
                     {'1': dict(exp='?!... --', obj_id='1')})
    ds = RefYouTubeVOSDataset(
        root, split='train', on_missing='skip', serialize_data=False)
    assert ds.skipped['expressions with an empty query'] == 2
    assert all(
        ds.get_data_info(i)['query'] != '?!... --' for i in range(len(ds)))
    _add_expressions(root, 'valid', 'val2', {'1': dict(exp=' -- ')})
    test = RefYouTubeVOSDataset(root, split='valid', test_mode=True)
    assert test.skipped['expressions with an empty query'] == 1
    assert len(test) == 2 * 4 + 2  # no sample to predict
    assert test.metainfo['expected_frames']['val2']['1'] == _frames(2)
    assert test.metainfo['empty_query_expressions'] == {
        'val2':
        dict(
            frame_file=osp.join(root, 'valid/JPEGImages/val2/00000.jpg'),
            frames=_frames(2),
            exp_ids=['1'])
    }
    report = check_ref_youtube_vos_tree(root)
    text = report.render()
    assert 'train expressions with an empty query' in text
    assert 'vidB expression 1' in text and 'val2 expression 1' in text


def test_check_finds_garbage_frames_in_train_and_valid_without_deep(tmp_path):
    # a garbage JPEG passed the check without --deep, and --deep missed the
    # one in valid/
    root = make_ytvos_tree(tmp_path, missing_video=False)
    with open(osp.join(root, 'train/JPEGImages/vidB/00005.jpg'), 'wb') as f:
        f.write(b'garbage' * 10)
    open(osp.join(root, 'valid/JPEGImages/val1/00010.jpg'), 'wb').close()
    r = check_ref_youtube_vos_tree(root)
    assert not r.ok
    text = r.render()
    assert ('train: listed frames that are not readable JPEG files (1): '
            'train/JPEGImages/vidB/00005.jpg (not a JPEG)') in text
    assert ('valid: listed frames that are not readable JPEG files (1): '
            'valid/JPEGImages/val1/00010.jpg (empty)') in text


def test_deep_check_decodes_frames_and_labels_them_as_frames(tmp_path):
    # a JPEG header over corrupt data: --deep decodes it and names it as a
    # frame, in train and in valid (it was labelled an annotation PNG, and
    # the one in valid/ was missed)
    root = make_ytvos_tree(tmp_path, missing_video=False)
    for rel in ('train/JPEGImages/vidB/00005.jpg',
                'valid/JPEGImages/val1/00010.jpg'):
        with open(osp.join(root, rel), 'wb') as f:
            f.write(b'\xff\xd8\xff' + b'corrupt' * 20)
    assert check_ref_youtube_vos_tree(root).ok  # the header looks right
    text = check_ref_youtube_vos_tree(root, deep=True).render()
    assert ('train: listed frames that are not readable JPEG files (1): '
            'train/JPEGImages/vidB/00005.jpg (') in text
    assert ('valid: listed frames that are not readable JPEG files (1): '
            'valid/JPEGImages/val1/00010.jpg (') in text
    assert 'annotation PNGs that are not' not in text
