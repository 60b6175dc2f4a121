"""RefDAVIS17Dataset on a release-shaped tree written by the test and
prepared by tools/data/ref_davis17/prepare.py's function (see
tests/ref_davis_tree.py); the preparation itself:
tests/test_tools/test_data/test_ref_davis_expressions.py."""
import json

import pytest

from mmcsted.datasets import MISSING_REASON
from mmcsted.datasets.ref_davis import RUNS, RefDAVIS17Dataset
from tests.ref_davis_tree import (H, W, prepare_ref_davis_tree,
                                  write_ref_davis_tree)


def test_dataset_val_all_runs(tmp_path):
    root = write_ref_davis_tree(tmp_path)
    assert b'caf\xe9' in (root / 'davis_text_annotations' /
                          'Davis17_annot2.txt').read_bytes()
    ds = RefDAVIS17Dataset(data_root=str(root), split='val')
    # 2 videos x 2 objects x 4 runs = 16 expressions, x 3 frames
    assert len(ds) == 48
    # the expression of object 3 (in no mask) was left out by the preparation
    assert ds.skipped == {}
    entries = [ds.get_data_info(i) for i in range(len(ds))]
    assert {e['run'] for e in entries} == set(RUNS)
    cafe = [e for e in entries if e['query'] == 'a bear near a café']
    assert len(cafe) == 3 and [e['frame_id'] for e in cafe] == [1, 2, 3]
    e = cafe[1]
    assert e['video_id'] == 'bear'
    assert e['run'] == 'anno2_first_frame' and e['annotator'] == 2
    assert e['exp_id'] == 'anno2_first_frame_0'
    assert e['object_ids'] == [1]
    assert e['frame_names'] == ['00000.jpg', '00001.jpg', '00002.jpg']
    assert e['frame_name'] == '00001'
    assert e['mask_format'] == 'index_png' and e['void_label'] == 255
    assert e['mask_file'].endswith(
        'DAVIS/Annotations_unsupervised/480p/bear/00001.png')
    assert e['frame_dir'].endswith('DAVIS/JPEGImages/480p/bear')
    # the misspelt video is read under its folder name
    car = [e for e in entries if e['video_id'] == 'classic-car']
    assert len(car) == 24
    # exp_id unique within a video over the runs, one per (run, object)
    keys = {(e['video_id'], e['exp_id']) for e in entries}
    assert len(keys) == 16
    # (video, exp_id, frame) unique: JFMetric can score it too
    assert len({(e['video_id'], e['exp_id'], e['frame_id'])
                for e in entries}) == 48


def test_dataset_masks_load_with_void(tmp_path):
    from mmcsted.datasets.transforms import LoadActorMask
    root = write_ref_davis_tree(tmp_path)
    ds = RefDAVIS17Dataset(
        data_root=str(root),
        runs=['anno1_full_video'],
        pipeline=[dict(type='LoadActorMask')])
    assert len(ds) == 12
    assert isinstance(ds.pipeline.transforms[0], LoadActorMask)
    out = ds[0]
    assert out['gt_sem_seg'].shape == (H, W)
    assert out['gt_sem_seg'].sum() == 9  # object 1 of frame 0, 3 x 3
    assert out['void_mask'][:, 0].all() and out['void_mask'].sum() == H


def test_dataset_train_split_and_run_subset(tmp_path):
    root = write_ref_davis_tree(tmp_path)
    ds = RefDAVIS17Dataset(
        data_root=str(root), split='train', runs='anno1_first_frame')
    assert len(ds) == 3
    e = ds.get_data_info(0)
    assert e['video_id'] == 'dogs-scale' and e['query'] == 'a dog'
    assert ds.skipped == {}
    with pytest.raises(ValueError, match='runs'):
        RefDAVIS17Dataset(data_root=str(root), runs=['anno3_first_frame'])
    with pytest.raises(ValueError, match='split'):
        RefDAVIS17Dataset(data_root=str(root), split='test-dev')


def test_dataset_missing_video(tmp_path):
    root = write_ref_davis_tree(
        tmp_path, val_videos=('bear', 'classic-car', 'gold-fish'))
    with pytest.raises(FileNotFoundError, match='gold-fish'):
        RefDAVIS17Dataset(data_root=str(root))
    ds = RefDAVIS17Dataset(data_root=str(root), on_missing='skip')
    assert len(ds) == 48
    assert ds.skipped[MISSING_REASON] == 1


def test_dataset_frame_without_mask(tmp_path):
    root = write_ref_davis_tree(tmp_path)
    (root / 'DAVIS' / 'Annotations_unsupervised' / '480p' / 'bear' /
     '00002.png').unlink()
    skips = prepare_ref_davis_tree(root)
    assert skips['val'].as_dict() == {
        'frames without a mask PNG': 1,
        'expressions whose object is not in the masks': 1
    }
    ds = RefDAVIS17Dataset(data_root=str(root), runs=['anno2_full_video'])
    assert ds.skipped == {}
    bear = [
        ds.get_data_info(i) for i in range(len(ds))
        if ds.get_data_info(i)['video_id'] == 'bear'
    ]
    assert len(bear) == 4  # 2 objects x 2 frames
    assert bear[0]['frame_names'] == ['00000.jpg', '00001.jpg']


def test_dataset_and_check_skip_a_query_without_a_word(tmp_path):
    from tools.data.ref_davis_tree_check import check_ref_davis17_tree
    root = write_ref_davis_tree(tmp_path)
    path = root / 'davis_text_annotations' / 'Davis17_annot1.txt'
    path.write_text(path.read_text() + 'bear 2 "?!... --"\n')
    skips = prepare_ref_davis_tree(root)
    assert skips['val'].counts['expressions with an empty query'] == 1
    ds = RefDAVIS17Dataset(data_root=str(root), runs='anno1_first_frame')
    assert all(
        ds.get_data_info(i)['query'] != '?!... --' for i in range(len(ds)))
    text = check_ref_davis17_tree(str(root)).render()
    assert ('Davis17_annot1.txt: expressions with an empty query (skipped) '
            '(1): Davis17_annot1.txt:7 bear') in text


def test_dataset_needs_the_prepared_file(tmp_path):
    root = write_ref_davis_tree(tmp_path, prepare=False)
    with pytest.raises(
            FileNotFoundError, match='tools/data/ref_davis17/prepare.py'):
        RefDAVIS17Dataset(data_root=str(root))
    # a file in the Ref-YouTube-VOS shape without runs (e.g. another
    # converter's): named, not read with made-up runs
    path = root / 'meta_expressions' / 'val' / 'meta_expressions.json'
    path.parent.mkdir(parents=True)
    path.write_text(
        json.dumps(
            dict(
                videos=dict(
                    bear=dict(
                        frames=['00000'],
                        expressions={'0': dict(exp='a bear', obj_id='1')})))))
    with pytest.raises(ValueError, match="'bear' expression '0' needs a"):
        RefDAVIS17Dataset(data_root=str(root))
