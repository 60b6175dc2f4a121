import json
import os
import os.path as osp

import numpy as np
import pytest

from mmcsted.datasets import (JHMDB_ACTIONS, MISSING_REASON,
                              JHMDBSentencesDataset)
from mmcsted.datasets import jhmdb_sentences as jh
from tests.dataset_trees import (JHMDB_H, JHMDB_W, jhmdb_gt_mask,
                                 make_jhmdb_tree)

PIPELINE = [
    dict(type='VideoInit'),
    dict(type='SampleClipAroundFrame', clip_len=4, frame_interval=2),
    dict(type='VideoDecode'),
    dict(type='ResizePadSquare', size=32),
    dict(type='LoadActorMask'),
    dict(type='PackActorSegInputs'),
]


def _infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def test_uniform_sampling_and_mask_truncation(tmp_path):
    videos = make_jhmdb_tree(str(tmp_path))
    ds = JHMDBSentencesDataset(str(tmp_path), progress=False)
    infos = _infos(ds)
    assert len(ds) == 3 * len(videos)
    by_vid = {}
    for d in infos:
        by_vid.setdefault(d['video_id'], []).append(d['frame_id'])
    # vidC has 9 frames but 7 masks: frames are drawn among 1..7
    assert by_vid['vidC_walk'] == jh.uniform_frames(7, 3) == [2, 4, 6]
    assert by_vid['vidA_brush'] == jh.uniform_frames(8, 3)
    assert by_vid['vidB_walk'] == [2, 4, 6]
    c = next(d for d in infos if d['video_id'] == 'vidC_walk')
    assert c['total_frames'] == c['max_frames'] == 7
    assert c['frame_dir'].endswith('Rename_Images/walk/vidC_walk')
    assert c['mask_file'].endswith('puppet_mask/walk/vidC_walk/'
                                   'puppet_mask.mat')
    assert (c['height'], c['width']) == (JHMDB_H, JHMDB_W)
    # actor 'adult' (id 1), action from the folder name (1-based ids)
    assert c['actor_class'] == 1
    assert JHMDB_ACTIONS[c['action_class'] - 1] == 'walk'
    b = next(d for d in infos if d['video_id'] == 'vidB_walk')
    assert b['query'] == 'a woman, walking to the left'
    assert len(JHMDB_ACTIONS) == 21


def test_pipeline_masks_and_frame_limit(tmp_path):
    make_jhmdb_tree(str(tmp_path))
    ds = JHMDBSentencesDataset(
        str(tmp_path), pipeline=PIPELINE, progress=False)
    for i in range(len(ds)):
        out = ds[i]
        s = out['data_samples']
        np.testing.assert_array_equal(s.gt_sem_seg.data[0].numpy(),
                                      jhmdb_gt_mask(s.frame_id))
        # frames are clamped to the frames that have a mask
        if s.video_id == 'vidC_walk':
            assert max(s.frame_inds) <= 7
        # the frame value encodes its number (20 * t)
        assert int(out['inputs'][0, s.target_index, 0, 0]) == 20 * s.frame_id


def test_frozen_sampling_from_prepare(tmp_path):
    from tests.helpers import run_tool
    make_jhmdb_tree(str(tmp_path))
    assert run_tool('jhmdb_sentences/prepare.py', str(tmp_path)) == 0
    path = osp.join(str(tmp_path), jh.FROZEN_FILE)
    with open(path) as f:
        frozen = json.load(f)
    assert set(frozen) == {'vidA_brush', 'vidB_walk', 'vidC_walk'}
    assert all(len(v) == 3 and v == sorted(v) for v in frozen.values())
    assert max(frozen['vidC_walk']) <= 7
    # the seeded draw is reproducible
    from collections import OrderedDict

    from tools.data.jhmdb_sentences.prepare import draw_frozen_frames
    again = draw_frozen_frames(
        OrderedDict([('vidA_brush', 8), ('vidB_walk', 6), ('vidC_walk', 7)]),
        3, 42)
    assert again == frozen
    ds = JHMDBSentencesDataset(
        str(tmp_path), frame_sampling='frozen', progress=False)
    got = {(d['video_id'], d['frame_id']) for d in _infos(ds)}
    assert got == {(v, f) for v, fs in frozen.items() for f in fs}
    # an existing list is kept on a re-run
    mtime = os.stat(path).st_mtime_ns
    assert run_tool('jhmdb_sentences/prepare.py', str(tmp_path)) == 0
    assert os.stat(path).st_mtime_ns == mtime


def test_frozen_file_missing_is_named(tmp_path):
    make_jhmdb_tree(str(tmp_path))
    with pytest.raises(FileNotFoundError, match=jh.FROZEN_FILE):
        JHMDBSentencesDataset(
            str(tmp_path), frame_sampling='frozen', progress=False)


def test_missing_files_error_or_skip(tmp_path):
    make_jhmdb_tree(str(tmp_path))
    mat = osp.join(
        str(tmp_path), 'puppet_mask', 'walk', 'vidB_walk', 'puppet_mask.mat')
    os.remove(mat)
    with pytest.raises(FileNotFoundError, match='vidB_walk/puppet_mask.mat'):
        JHMDBSentencesDataset(str(tmp_path), progress=False)
    ds = JHMDBSentencesDataset(
        str(tmp_path), on_missing='skip', progress=False)
    assert len(ds) == 6
    assert ds.skipped[MISSING_REASON] == 1
    os.remove(osp.join(str(tmp_path), 'jhmdb_annotation.txt'))
    with pytest.raises(FileNotFoundError, match='jhmdb_annotation.txt'):
        JHMDBSentencesDataset(str(tmp_path), progress=False)


def test_empty_query_counted(tmp_path):
    make_jhmdb_tree(str(tmp_path))
    with open(osp.join(str(tmp_path), 'jhmdb_annotation.txt'), 'a') as f:
        f.write('vidC_walk,\n')
        f.write('vidC_walk,?!... --\n')  # no word: empty too
    ds = JHMDBSentencesDataset(str(tmp_path), progress=False)
    assert ds.skipped['rows with an empty query'] == 2
    assert len(ds) == 9
