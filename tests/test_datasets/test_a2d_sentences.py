import logging
import os
import os.path as osp

import numpy as np
import pytest

from mmcsted.datasets import MISSING_REASON, A2DSentencesDataset, a2d
from mmcsted.datasets.a2d import masks
from mmcsted.datasets.transforms import DataLoadError
from tests.dataset_trees import A2D_H, A2D_T, A2D_W, a2d_gt_mask, make_a2d_tree

TEST_PIPELINE = [
    dict(type='VideoInit'),
    dict(type='SampleClipAroundFrame', clip_len=4, frame_interval=2),
    dict(type='VideoDecode'),
    dict(type='ResizePadSquare', size=32),
    dict(type='LoadActorMask'),
    dict(type='PackActorSegInputs'),
]
TRAIN_PIPELINE = [
    dict(type='VideoInit'),
    dict(type='SampleClipAroundFrame', clip_len=4, frame_interval=1),
    dict(type='VideoDecode'),
    dict(type='LoadActorMask'),
    dict(type='ResizePadSquare', size=32),
    dict(type='PackActorSegInputs'),
]


@pytest.fixture
def logs(monkeypatch):
    """Messages sent through print_log by the dataset code."""
    records = []

    def fake(msg, logger=None, level=logging.INFO):
        records.append((level, msg))

    import mmcsted.datasets.a2d.dataset as mod_dataset
    import mmcsted.datasets.a2d.masks as mod_masks
    import mmcsted.datasets.a2d.tree as mod_tree
    import mmcsted.datasets.transforms.loading as mod_loading
    import mmcsted.datasets.utils as mod_utils
    for mod in (mod_utils, mod_dataset, mod_masks, mod_tree, mod_loading):
        monkeypatch.setattr(mod, 'print_log', fake)
    return records


def _samples(ds):
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    return {(d['video_id'], d['frame_id'], d['instance_id'], d['query'])
            for d in infos}, infos


def _build(root, split='train', **kw):
    kw.setdefault('progress', False)
    return A2DSentencesDataset(root, split=split, **kw)


def test_quirk_tree_samples(tmp_path):
    expected = make_a2d_tree(str(tmp_path))
    ds = _build(str(tmp_path), 'train')
    got, infos = _samples(ds)
    # copy row dropped, missed video skipped, absent instance left out
    assert got == expected['train']
    assert len(got) == 3 + 2 + 3
    assert not any(d['video_id'] == 'vidMissed01' for d in infos)
    # the quoted query with commas survives intact
    assert ('vidTrain_01', 3, 1,
            'a dog, brown and white, rolling on the right') in got
    assert ds.skipped["query rows with instance id '1 (copy)'"] == 1
    assert ds.skipped['query rows of videos in a2d_missed_videos.txt'] == 1
    assert ds.skipped['(query, frame) pairs whose instance is absent from '
                      'the frame'] == 1

    d = next(x for x in infos if x['video_id'] == 'vidTrain_02')
    assert set(d) >= {
        'video_id', 'frame_id', 'instance_id', 'query', 'mask_file',
        'video_path', 'frame_dir', 'total_frames', 'height', 'width',
        'actor_class', 'action_class', 'sample_idx'
    }
    assert d['video_path'].endswith('Release/clips320H/vidTrain_02.mp4')
    assert d['frame_dir'] is None
    assert (d['total_frames'], d['height'], d['width']) == (A2D_T, A2D_H,
                                                            A2D_W)
    # label 38 = car (3) + walking (8); ids are 1-based like the label
    assert (d['actor_class'], d['action_class']) == (3, 8)
    assert ds.metainfo['actor_classes'][d['actor_class'] - 1] == 'ball'

    test = _build(str(tmp_path), 'test', test_mode=True)
    assert _samples(test)[0] == expected['test']
    assert ('vidTest_001', 6, 2, 'the "big" dog, running to the right') in \
        expected['test']


def test_copy_rows_kept_when_asked(tmp_path):
    make_a2d_tree(str(tmp_path))
    ds = _build(str(tmp_path), 'train', drop_copy_instances=False)
    got, _ = _samples(ds)
    # the copy row is instance 1 with its (duplicate) query: 3 more samples
    assert len(got) == 8
    assert len(ds) == 11


def test_masks_single_and_multi_instance(tmp_path):
    make_a2d_tree(str(tmp_path))
    # 2-D reMask (single instance with id 1) and 3-D reMask
    base = osp.join(str(tmp_path), a2d.MASK_DIR)
    m = a2d.load_a2d_mask(osp.join(base, 'vidTrain_02', '00007.h5'), 1)
    assert m.shape == (A2D_H, A2D_W) and m.dtype == np.uint8
    np.testing.assert_array_equal(m, a2d_gt_mask('vidTrain_02', 1, 7))
    m = a2d.load_a2d_mask(osp.join(base, 'vidTest_001', '00006.h5'), 2)
    np.testing.assert_array_equal(m, a2d_gt_mask('vidTest_001', 2, 6))
    with pytest.raises(KeyError, match='instance 5'):
        a2d.load_a2d_mask(osp.join(base, 'vidTest_001', '00006.h5'), 5)


@pytest.mark.parametrize('source', ['mp4', 'frames'])
def test_pipeline_original_resolution_masks(tmp_path, source):
    make_a2d_tree(str(tmp_path), video_source=source)
    ds = _build(
        str(tmp_path),
        'test',
        test_mode=True,
        pipeline=TEST_PIPELINE,
        video_source='auto')
    for i in range(len(ds)):
        out = ds[i]
        s = out['data_samples']
        assert out['inputs'].shape == (3, 4, 32, 32)
        np.testing.assert_array_equal(
            s.gt_sem_seg.data[0].numpy(),
            a2d_gt_mask(s.video_id, s.instance_id, s.frame_id))
        info = ds.get_data_info(i)
        assert (info['frame_dir'] is not None) == (source == 'frames')
        # the red channel encodes the frame number (10 * t); check the
        # decoded target frame away from the actors' boxes
        target = out['inputs'][:, s.target_index].numpy()
        assert abs(int(target[0, 20, 0]) - 10 * s.frame_id) <= 6
        # the 48-wide frame is resized to 32 x 21 and padded with zeros
        assert s.img_shape == (21, 32) and s.pad_shape == (32, 32)
        assert out['inputs'][:, :, 21:].abs().sum() == 0


def test_video_source_choice(tmp_path):
    make_a2d_tree(str(tmp_path), video_source='both')
    auto = _build(str(tmp_path), 'train', video_source='auto')
    assert all(auto.get_data_info(i)['frame_dir'] for i in range(len(auto)))
    mp4 = _build(str(tmp_path), 'train', video_source='mp4')
    assert all(mp4.get_data_info(i)['video_path'] for i in range(len(mp4)))
    with pytest.raises(ValueError, match='video_source'):
        _build(str(tmp_path), 'train', video_source='avi')


@pytest.mark.parametrize('rel', [
    'Release/videoset.csv', 'text_annotations/a2d_annotation.txt',
    'text_annotations/a2d_missed_videos.txt'
])
def test_missing_release_file_is_named(tmp_path, rel):
    make_a2d_tree(str(tmp_path))
    os.remove(osp.join(str(tmp_path), rel))
    with pytest.raises(FileNotFoundError, match=rel.split('/')[-1]):
        _build(str(tmp_path))


def test_missing_mask_folder_is_named(tmp_path):
    make_a2d_tree(str(tmp_path))
    import shutil
    shutil.rmtree(osp.join(str(tmp_path), a2d.MASK_DIR))
    with pytest.raises(
            FileNotFoundError, match='a2d_annotation_with_instances'):
        _build(str(tmp_path))


def test_malformed_videoset_names_line(tmp_path):
    make_a2d_tree(str(tmp_path))
    with open(osp.join(str(tmp_path), a2d.VIDEOSET_FILE), 'a') as f:
        f.write('badVideo,11,0,1\n')
    with pytest.raises(ValueError, match=r'videoset.csv:5: expected 9'):
        _build(str(tmp_path))


def test_missing_mask_file_counted_and_logged(tmp_path, logs):
    expected = make_a2d_tree(str(tmp_path))
    os.remove(osp.join(str(tmp_path), a2d.MASK_DIR, 'vidTrain_01', '00006.h5'))
    ds = _build(str(tmp_path))
    got, _ = _samples(ds)
    assert got == {s for s in expected['train'] if s[:2] != ('vidTrain_01', 6)}
    key = ('missing mask files (fewer .h5 files than videoset.csv lists '
           'annotated frames)')
    assert ds.skipped[key] == 1
    assert any(
        level == logging.WARNING and 'skipped 1 x missing mask files' in msg
        and 'vidTrain_01' in msg for level, msg in logs)


def test_unreadable_mask_file_counted(tmp_path, logs):
    make_a2d_tree(str(tmp_path))
    with open(
            osp.join(str(tmp_path), a2d.MASK_DIR, 'vidTrain_02', '00007.h5'),
            'wb') as f:
        f.write(b'not an hdf5 file')
    ds = _build(str(tmp_path))
    assert ds.skipped['unreadable mask files'] == 1
    assert len(ds) == 7
    assert any('unreadable mask files' in m and '00007.h5' in m
               for _, m in logs)


def test_instance_absent_and_empty_query_counted(tmp_path, logs):
    rows = [
        ('vidTrain_01', '0', 'the man on the left is climbing'),
        ('vidTrain_01', '1', 'a dog rolling'),
        ('vidTrain_01', '3', 'nobody'),  # instance in no frame
        ('vidTrain_02', '1', '   '),  # empty query
        ('vidTrain_02', '1', '?!... --'),  # no word: empty too
    ]
    make_a2d_tree(str(tmp_path), rows=rows)
    ds = _build(str(tmp_path))
    assert len(ds) == 5
    assert ds.skipped['query rows with an empty query'] == 2
    absent = ('(query, frame) pairs whose instance is absent from the '
              'frame')
    assert ds.skipped[absent] == 1 + 3
    assert ds.skipped['queries whose instance is in none of the annotated '
                      'frames'] == 1
    text = '\n'.join(m for _, m in logs)
    assert 'skipped 2 x query rows with an empty query' in text
    assert f'skipped 4 x {absent}' in text
    assert 'A2DSentencesDataset(train): 5 samples' in text


def test_missing_video_error_or_skip(tmp_path, logs):
    make_a2d_tree(str(tmp_path))
    path = osp.join(str(tmp_path), a2d.CLIP_DIR, 'vidTrain_02.mp4')
    os.remove(path)
    with pytest.raises(FileNotFoundError, match='vidTrain_02.mp4'):
        _build(str(tmp_path))
    ds = _build(str(tmp_path), on_missing='skip')
    assert len(ds) == 5
    assert ds.skipped[MISSING_REASON] == 1


def test_mask_index_cache_and_refresh(tmp_path, monkeypatch):
    make_a2d_tree(str(tmp_path))
    ds = _build(str(tmp_path))
    cache = osp.join(str(tmp_path), 'mmcsted_cache', masks.INDEX_FILE)
    assert osp.isfile(cache)

    def boom(path):
        raise AssertionError(f'read {path} although it is cached')

    monkeypatch.setattr(masks, 'read_h5_frame_info', boom)
    assert len(_build(str(tmp_path))) == len(ds)
    # removing a file changes its folder: only that video is read again
    monkeypatch.undo()
    os.remove(osp.join(str(tmp_path), a2d.MASK_DIR, 'vidTrain_01', '00003.h5'))
    read = []
    orig = a2d.read_h5_frame_info
    monkeypatch.setattr(masks, 'read_h5_frame_info',
                        lambda p: read.append(p) or orig(p))
    ds2 = _build(str(tmp_path))
    assert len(ds2) == len(ds) - 2
    assert read and all('vidTrain_01' in p for p in read)


def _truncate_keeping_folder_mtime(path):
    """Cut a file in half in place; its folder's mtime stays what it was,
    as after a copy that died half way or a disk error."""
    folder = osp.dirname(path)
    st = os.stat(folder)
    with open(path, 'r+b') as f:
        f.truncate(os.path.getsize(path) // 2)
    os.utime(folder, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(folder).st_mtime_ns == st.st_mtime_ns


def test_mask_index_notices_a_file_truncated_in_place(tmp_path, logs):
    # the cache once looked at the folder's mtime only: a mask file damaged
    # after indexing passed as readable and crashed the test pipeline
    make_a2d_tree(str(tmp_path))
    ds = _build(str(tmp_path))
    assert ds.skipped.get('unreadable mask files', 0) == 0
    _truncate_keeping_folder_mtime(
        osp.join(str(tmp_path), a2d.MASK_DIR, 'vidTrain_02', '00007.h5'))
    assert not a2d.A2DMaskIndex(str(tmp_path)).is_current('vidTrain_02')
    assert a2d.A2DMaskIndex(str(tmp_path)).is_current('vidTrain_01')
    ds2 = _build(str(tmp_path))
    assert ds2.skipped['unreadable mask files'] == 1
    assert len(ds2) == len(ds) - 1
    assert all((d['video_id'], d['frame_id']) != ('vidTrain_02', 7)
               for d in (ds2.get_data_info(i) for i in range(len(ds2))))
    assert any(level == logging.WARNING and 'unreadable mask files' in m
               and '00007.h5' in m for level, m in logs)


def test_old_mask_index_format_is_rebuilt(tmp_path):
    make_a2d_tree(str(tmp_path))
    index = a2d.A2DMaskIndex(str(tmp_path))
    index.update(['vidTrain_01'], progress=False)
    index.videos['vidTrain_01'] = dict(mtime_ns=1, frames=[], bad_names=[])
    index.save()
    # an entry of format 1 (folder mtime only) is never taken as current
    assert not a2d.A2DMaskIndex(str(tmp_path)).is_current('vidTrain_01')


def test_mask_index_resumes(tmp_path):
    make_a2d_tree(str(tmp_path))
    index = a2d.A2DMaskIndex(str(tmp_path))
    index.update(['vidTrain_01'], progress=False)
    again = a2d.A2DMaskIndex(str(tmp_path))
    assert again.is_current('vidTrain_01')
    assert not again.is_current('vidTrain_02')
    assert again.update(['vidTrain_01', 'vidTrain_02'], progress=False) == 1


def test_corrupt_video_skipped_in_training(tmp_path, logs):
    make_a2d_tree(str(tmp_path))
    path = osp.join(str(tmp_path), a2d.CLIP_DIR, 'vidTrain_02.mp4')
    with open(path, 'r+b') as f:
        f.truncate(300)
    ds = _build(str(tmp_path), pipeline=TRAIN_PIPELINE)
    idx = next(
        i for i in range(len(ds))
        if ds.get_data_info(i)['video_id'] == 'vidTrain_02')
    out = ds[idx]  # refetches another sample
    assert out['data_samples'].video_id != 'vidTrain_02'
    warned = [
        m for lvl, m in logs
        if lvl == logging.WARNING and 'VideoInit: skipped' in m
    ]
    assert warned and 'vidTrain_02.mp4' in warned[0]
    assert '1 skipped' in warned[0]


def test_corrupt_video_raises_in_test_mode(tmp_path):
    make_a2d_tree(str(tmp_path))
    path = osp.join(str(tmp_path), a2d.CLIP_DIR, 'vidTest_001.mp4')
    with open(path, 'wb') as f:
        f.write(os.urandom(2000))
    ds = _build(str(tmp_path), 'test', test_mode=True, pipeline=TEST_PIPELINE)
    with pytest.raises(DataLoadError, match='vidTest_001.mp4'):
        ds[0]


def test_truncated_frames_raise_in_test_mode(tmp_path):
    make_a2d_tree(str(tmp_path), video_source='frames')
    fdir = osp.join(str(tmp_path), a2d.FRAME_DIR, 'vidTest_001')
    for t in range(7, A2D_T + 1):  # frame 12 is annotated
        os.remove(osp.join(fdir, f'{t:05d}.jpg'))
    ds = _build(str(tmp_path), 'test', test_mode=True, pipeline=TEST_PIPELINE)
    last = next(
        i for i in range(len(ds)) if ds.get_data_info(i)['frame_id'] == 12)
    with pytest.raises(DataLoadError, match='has 6 frames but the target'):
        ds[last]


def test_pyav_backend_matches_decord_path(tmp_path):
    make_a2d_tree(str(tmp_path))
    pipe = [dict(TEST_PIPELINE[0], backend='pyav')] + TEST_PIPELINE[1:]
    a = _build(str(tmp_path), 'test', test_mode=True, pipeline=pipe)
    b = _build(str(tmp_path), 'test', test_mode=True, pipeline=TEST_PIPELINE)
    for i in range(len(a)):
        x, y = a[i], b[i]
        assert x['data_samples'].frame_inds == y['data_samples'].frame_inds
        assert (x['inputs'].int() - y['inputs'].int()).abs().max() <= 2


def _write_annotations(root, text):
    path = osp.join(root, 'text_annotations', 'a2d_annotation.txt')
    with open(path, 'w', newline='') as f:
        f.write(text)
    return path


def test_stray_quote_rows_are_named_by_line(tmp_path, logs):
    """A stray opening quote made the csv reader take the next rows into one
    query with line breaks: 3 of 4 rows were lost without a word."""
    make_a2d_tree(str(tmp_path))
    path = _write_annotations(
        str(tmp_path), 'video_id,instance_id,query\n'
        'vidTrain_01,0,the man climbing\n'
        'vidTrain_01,1,"a dog rolling\n'
        'vidTrain_02,1,red car jumping\n'
        'vidTest_001,0,adult walking\n')
    with pytest.raises(
            ValueError,
            match=r'1 queries hold a line break \(lines 3-5\): '
            'a stray opening quote'):
        a2d.read_a2d_annotations(path)
    with pytest.raises(ValueError, match='lines 3-5'):
        _build(str(tmp_path))
    # a quote inside an unquoted field swallows nothing: kept, logged
    _write_annotations(
        str(tmp_path), 'video_id,instance_id,query\n'
        'vidTrain_01,0,the man climbing\n'
        'vidTrain_01,1,a dog "rolling\n'
        'vidTrain_02,1,red car jumping\n')
    rows = a2d.read_a2d_annotations(path)
    assert [row.line for row in rows] == [2, 3, 4]
    assert rows[1].query == 'a dog "rolling'
    assert any('1 queries have an odd number of quotes' in m
               and "line 3: 'a dog \"rolling'" in m for _, m in logs)


def test_a_damaged_mask_index_cache_is_rebuilt(tmp_path, logs):
    """A cache damaged outside mmcsted (its own writes are atomic; a disk
    error, a copy cut short): a warning naming it, the index read again from
    the mask files, the same samples."""
    make_a2d_tree(str(tmp_path))
    expected, _ = _samples(_build(str(tmp_path)))
    cache = osp.join(str(tmp_path), 'mmcsted_cache', masks.INDEX_FILE)
    with open(cache, 'r+b') as f:
        f.truncate(os.path.getsize(cache) // 2)
    again, _ = _samples(_build(str(tmp_path)))
    assert again == expected
    assert any(level == logging.WARNING and 'unreadable index cache' in m
               and cache in m for level, m in logs)
    # rewritten whole by the rebuild
    assert masks.A2DMaskIndex(str(tmp_path)).is_current('vidTrain_01')


def test_malformed_mask_files_are_clear_errors(tmp_path):
    """Mask files that are HDF5 but not A2D's: each error names the file and
    what is wrong with it."""
    import h5py
    no_keys = str(tmp_path / 'no_keys.h5')
    with h5py.File(no_keys, 'w') as f:
        f['other'] = np.zeros(2)
    with pytest.raises(KeyError, match=r'no_keys\.h5.*"instance"'):
        masks.read_h5_frame_info(no_keys)
    bad_shape = str(tmp_path / 'bad_shape.h5')
    with h5py.File(bad_shape, 'w') as f:
        f['instance'] = np.array([1.0])
        f['reMask'] = np.zeros((1, 2, 4, 3))
    with pytest.raises(ValueError, match=r'bad_shape\.h5: reMask has shape'):
        masks.load_a2d_mask(bad_shape, 1)
    # two ids listed, one 2-D mask stored: the second has none
    one_mask = str(tmp_path / 'one_mask.h5')
    with h5py.File(one_mask, 'w') as f:
        f['instance'] = np.array([1.0, 2.0])
        f['reMask'] = np.zeros((4, 3))
    assert masks.load_a2d_mask(one_mask, 1).shape == (3, 4)
    with pytest.raises(ValueError, match='one mask stored but instance 2'):
        masks.load_a2d_mask(one_mask, 2)
