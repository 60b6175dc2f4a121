"""The Ref-DAVIS17 expression-file parser on files written by the test."""
from mmcsted.datasets.ref_davis import (VIDEO_NAME_FIXES,
                                        parse_davis_text_annotations)


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
        str(path), folder_names=['bear', 'motorbike'], return_stats=True)

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
        str(path), folder_names=['dogs-scale', 'lab-coat'], return_stats=True)

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
    # without return_stats: the list only
    assert parse_davis_text_annotations(str(path)) == records


def test_name_fixes_table():
    assert VIDEO_NAME_FIXES == {
        'clasic-car': 'classic-car',
        'dog-scale': 'dogs-scale',
        'motor-bike': 'motorbike'
    }
