"""The Ref-DAVIS17 expression-file parser and dataset on files written by the
test."""
import pytest

from mmcsted.datasets import MISSING_REASON
from mmcsted.datasets.ref_davis import (RUNS, VIDEO_NAME_FIXES,
                                        RefDAVIS17Dataset,
                                        parse_davis_text_annotations)
from tests.ref_davis_tree import H, W, write_ref_davis_tree


def test_latin1_file_with_malformed_and_blank_lines(tmp_path):
    path = tmp_path / 'Davis17_annot2.txt'
    content = ('bear 1 "a brown bear near a café"\n'
               '\n'
               'bike-packing two "a bike"\n'
               'motor-bike 2 "a man riding a motorbike"\n')
    # 'é' as the single Latin-1 byte 0xE9: not valid UTF-8
    path.write_bytes(content.encode('latin-1'))
    assert b'caf\xe9' in path.read_bytes()

    records, stats = parse_davis_text_annotations(
        str(path), folder_names=['bear', 'motorbike'])

    assert stats['encoding'] == 'latin-1'
    assert stats['num_lines'] == 4
    assert stats['blank_lines'] == [2]
    assert stats['malformed_lines'] == [3]  # obj_id is not an integer
    assert stats['num_expressions'] == 2
    assert records[0] == dict(
        video='bear',
        obj_id=1,
        expression='a brown bear near a café',
        line=1,
        source_video='bear')
    # renamed to the DAVIS folder name
    assert records[1]['video'] == 'motorbike'
    assert records[1]['source_video'] == 'motor-bike'
    assert records[1]['obj_id'] == 2
    assert records[1]['line'] == 4
    assert stats['renamed'] == {'motor-bike': 'motorbike'}
    assert stats['unknown_videos'] == []


def test_utf8_file_and_unknown_videos(tmp_path):
    path = tmp_path / 'Davis17_annot1.txt'
    content = ('dog-scale 1 "a small dog"\n'
               'gold-fish 3 "the naïve fish on the left"\n'
               'lab-coat 1 a person in a white coat\n'
               'lab-coat\n')
    path.write_bytes(content.encode('utf-8'))

    records, stats = parse_davis_text_annotations(
        str(path), folder_names=['dogs-scale', 'lab-coat'])

    assert stats['encoding'] == 'utf-8'
    assert [r['video']
            for r in records] == ['dogs-scale', 'gold-fish', 'lab-coat']
    assert records[1]['expression'] == 'the naïve fish on the left'
    assert records[1]['obj_id'] == 3
    # unquoted expression kept and counted; a line without obj_id malformed
    assert records[2]['expression'] == 'a person in a white coat'
    assert stats['unquoted_lines'] == [3]
    assert stats['malformed_lines'] == [4]
    assert stats['unknown_videos'] == ['gold-fish']
    # without folder names: the same records, no video reported
    assert parse_davis_text_annotations(str(path)) == (records, {
        **stats, 'unknown_videos': []
    })


def test_name_fixes_table():
    assert VIDEO_NAME_FIXES == {
        'clasic-car': 'classic-car',
        'dog-scale': 'dogs-scale',
        'motor-bike': 'motorbike'
    }


# ---------------------------------------------------------------------------
# RefDAVIS17Dataset on a release-shaped tree written by the test (see
# tests/ref_davis_tree.py)


def test_dataset_val_all_runs(tmp_path):
    root = write_ref_davis_tree(tmp_path)
    assert b'caf\xe9' in (root / 'davis_text_annotations' /
                          'Davis17_annot2.txt').read_bytes()
    ds = RefDAVIS17Dataset(data_root=str(root), split='val')
    # 2 videos x 2 objects x 4 runs = 16 expressions, x 3 frames
    assert len(ds) == 48
    assert ds.skipped == {'expressions whose object is not in the masks': 1}
    assert ds.skip_examples[
        'expressions whose object is not in the masks'] == [
            'Davis17_annot1.txt:3 bear object 3'
        ]
    assert ds.file_stats['anno2_first_frame']['encoding'] == 'latin-1'
    assert ds.file_stats['anno1_first_frame']['renamed'] == {
        'clasic-car': 'classic-car',
        'dog-scale': 'dogs-scale'
    }
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
    ds = RefDAVIS17Dataset(data_root=str(root), runs=['anno2_full_video'])
    assert ds.skipped == {'frames without a mask PNG': 1}
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
    ds = RefDAVIS17Dataset(data_root=str(root), runs='anno1_first_frame')
    assert ds.skipped['expressions with an empty query'] == 1
    assert all(
        ds.get_data_info(i)['query'] != '?!... --' for i in range(len(ds)))
    text = check_ref_davis17_tree(str(root)).render()
    assert ('Davis17_annot1.txt: expressions with an empty query (skipped) '
            '(1): Davis17_annot1.txt:7 bear') in text
