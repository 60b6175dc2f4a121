"""Ref-DAVIS17's expression files read and prepared
(tools/data/ref_davis_expressions.py, tools/data/ref_davis17/prepare.py) on
files written by the test (tests/ref_davis_tree.py)."""
import json

from tests.helpers import run_tool
from tests.ref_davis_tree import prepare_ref_davis_tree, write_ref_davis_tree
from tools.data.ref_davis_expressions import (VIDEO_NAME_FIXES,
                                              parse_davis_text_annotations)

TOOL = 'ref_davis17/prepare.py'


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


def test_prepared_files_and_what_they_leave_out(tmp_path):
    root = write_ref_davis_tree(tmp_path, prepare=False)
    skips = prepare_ref_davis_tree(root)
    assert skips['val'].as_dict() == {
        'expressions whose object is not in the masks': 1
    }
    assert skips['val'].examples[
        'expressions whose object is not in the masks'] == [
            'Davis17_annot1.txt:3 bear object 3'
        ]
    # the train video has expressions in annotator 1's first-frame run only
    assert skips['train'].counts['videos without an expression in a run'] == 3
    val = json.loads((root / 'meta_expressions' / 'val' /
                      'meta_expressions.json').read_text())['videos']
    # in split-file order, misspelt names under their folder names
    assert list(val) == ['bear', 'classic-car']
    assert val['bear']['frames'] == ['00000', '00001', '00002']
    bear = val['bear']['expressions']
    # run by run; k counts the kept expressions of the run (object 3 is out)
    assert list(bear)[:3] == [
        'anno1_first_frame_0', 'anno1_first_frame_1', 'anno1_full_video_0'
    ]
    assert bear['anno2_first_frame_0'] == dict(
        exp='a bear near a café', obj_id=1, run='anno2_first_frame')
    assert len(bear) == 8


def test_prepare_tool_stops_on_a_problem_unless_forced(tmp_path):
    root = write_ref_davis_tree(tmp_path, prepare=False)
    meta = root / 'meta_expressions' / 'val' / 'meta_expressions.json'
    rc, out = run_tool(TOOL, str(root), capture=True)
    assert rc == 0 and 'result: OK' in out, out
    assert f'val: {meta}' in out
    assert len(json.loads(meta.read_text())['videos']) == 2
    # a val video without folders: the check fails and nothing is written
    (root / 'DAVIS' / 'ImageSets' / '2017' /
     'val.txt').write_text('bear\nclassic-car\ngold-fish\n')
    meta.unlink()
    rc, out = run_tool(TOOL, str(root), capture=True)
    assert rc == 1 and 'stopping' in out and not meta.exists()
    # forced: written, the video kept without frames for the dataset to name
    rc, out = run_tool(TOOL, str(root), '--force', capture=True)
    assert rc == 0
    assert json.loads(meta.read_text())['videos']['gold-fish'] == dict(
        frames=[], expressions={})


def test_prepare_tool_reads_each_mask_once(tmp_path, monkeypatch):
    import tools.data.ref_davis_expressions as rde
    root = write_ref_davis_tree(tmp_path, prepare=False)
    read = []
    real = rde.read_index_png
    monkeypatch.setattr(rde, 'read_index_png',
                        lambda path: read.append(path) or real(path))
    rc, _ = run_tool(TOOL, str(root), capture=True)
    assert rc == 0
    # 3 videos x 3 frames: the check reads them and the writing reuses that
    assert len(read) == len(set(read)) == 9
