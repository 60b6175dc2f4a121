"""check_ref_davis17_tree and tools/data/ref_davis17/check_tree.py on
trees written by the test (tests/ref_davis_tree.py)."""
import contextlib
import io
import os.path as osp
import shutil

from tests.helpers import load_script
from tests.ref_davis_tree import write_ref_davis_tree
from tools.data.ref_davis_tree_check import check_ref_davis17_tree

TOOL = osp.join(
    osp.dirname(__file__), '..', '..', '..', 'tools', 'data', 'ref_davis17',
    'check_tree.py')


def run_tool(*argv):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = load_script(TOOL).main(list(argv))
    return rc, out.getvalue()


def test_complete_tree_reports_quirks(tmp_path):
    root = write_ref_davis_tree(tmp_path)
    rc, out = run_tool(str(root))
    assert rc == 0, out
    assert 'result: OK' in out
    # the Latin-1 file, the fixed names, the object no mask holds
    assert 'Davis17_annot2.txt: 4 expressions, latin-1' in out
    # reported, not silently re-decoded
    assert ('Davis17_annot2.txt: not valid UTF-8, read as latin-1: check '
            'that its accented letters read right') in out
    assert 'Davis17_annot1.txt: 6 expressions, utf-8; video names fixed: ' \
        'clasic-car -> classic-car, dog-scale -> dogs-scale' in out
    assert ('expressions whose object is in no mask (prepare.py leaves '
            'them out) (1): Davis17_annot1.txt:3 bear object 3 (masks hold '
            '[1, 2])') in out
    assert 'val: 2 videos listed, 2 on disk' in out
    assert 'anno1_first_frame: train 1 expressions, val 5 expressions' in out
    # the tiny tree is not CSTM's size: said, not an error
    assert 'val.txt lists 2 videos, the release 30' in out
    # without reading the masks the object check is not made
    rc, out = run_tool(str(root), '--no-masks')
    assert rc == 0 and 'in no mask' not in out


def test_missing_files_and_videos(tmp_path):
    root = write_ref_davis_tree(
        tmp_path, val_videos=('bear', 'classic-car', 'gold-fish'))
    (root / 'davis_text_annotations' /
     'Davis17_annot2_full_video.txt').unlink()
    (root / 'DAVIS' / 'Annotations_unsupervised' / '480p' / 'bear' /
     '00001.png').unlink()
    r = check_ref_davis17_tree(str(root))
    assert not r.ok
    text = r.render()
    assert ('expressions (anno2_full_video) not found: ' +
            str(root / 'davis_text_annotations' /
                'Davis17_annot2_full_video.txt')) in text
    assert 'val: frame / mask folders missing (2): ' in text
    assert 'JPEGImages/480p/gold-fish' in text
    assert 'val: frames without a mask PNG (1): bear/00001.jpg' in text


def test_semi_supervised_masks_are_named(tmp_path):
    root = write_ref_davis_tree(tmp_path)
    davis = root / 'DAVIS'
    shutil.move(
        str(davis / 'Annotations_unsupervised'), str(davis / 'Annotations'))
    rc, out = run_tool(str(root))
    assert rc == 1
    assert 'unsupervised mask folder not found' in out
    assert 'is the semi-supervised annotation' in out


def test_missing_and_garbage_frames_are_found(tmp_path):
    # a missing JPEG passed the check and failed only at the metric
    root = write_ref_davis_tree(tmp_path)
    frames = osp.join(str(root), 'DAVIS', 'JPEGImages', '480p', 'bear')
    import os
    os.remove(osp.join(frames, '00001.jpg'))
    with open(osp.join(frames, '00002.jpg'), 'wb') as f:
        f.write(b'not a jpeg')
    rc, out = run_tool(str(root))
    assert rc == 1, out
    assert ('val: frames missing (a mask PNG without its JPEG) (1): '
            'bear/00001.png') in out
    assert ('val: frames that are not JPEG files (1): bear/00002.jpg '
            '(not a JPEG)') in out
