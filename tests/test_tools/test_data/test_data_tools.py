"""The data preparation tools (tools/data/*), run in-process through main()."""
import json
import os
import os.path as osp

from mmcsted.datasets import a2d
from tests.dataset_trees import make_a2d_tree, make_jhmdb_tree
from tests.helpers import run_tool


def test_a2d_check_tree_ok_and_counts(tmp_path):
    make_a2d_tree(str(tmp_path))
    rc, out = run_tool(
        'a2d_sentences/check_tree.py', str(tmp_path), capture=True)
    assert rc == 0, out
    assert 'videoset.csv: 4 videos' in out and '3782' in out
    assert 'a2d_annotation.txt: 7 rows' in out and '6655' in out
    assert "1 rows with instance id '1 (copy)'" in out
    assert 'result: OK' in out


def test_a2d_check_tree_names_missing_files(tmp_path):
    make_a2d_tree(str(tmp_path))
    os.remove(osp.join(str(tmp_path), a2d.CLIP_DIR, 'vidTest_001.mp4'))
    os.remove(osp.join(str(tmp_path), a2d.MASK_DIR, 'vidTrain_01', '00003.h5'))
    rc, out = run_tool(
        'a2d_sentences/check_tree.py', str(tmp_path), capture=True)
    assert rc == 1
    assert 'videos missing (1): Release/clips320H/vidTest_001.mp4' in out
    assert 'vidTrain_01 (2 of 3 .h5 files)' in out
    # a whole mask folder missing is an error
    import shutil
    make_a2d_tree(str(tmp_path))
    shutil.rmtree(osp.join(str(tmp_path), a2d.MASK_DIR, 'vidTrain_02'))
    rc, out = run_tool(
        'a2d_sentences/check_tree.py', str(tmp_path), capture=True)
    assert rc == 1
    assert ('mask folders missing (1): text_annotations/'
            'a2d_annotation_with_instances/vidTrain_02/') in out

    os.remove(osp.join(str(tmp_path), a2d.MISSED_FILE))
    rc, out = run_tool(
        'a2d_sentences/check_tree.py', str(tmp_path), capture=True)
    assert rc == 1 and 'a2d_missed_videos.txt' in out


def test_a2d_check_tree_deep_finds_corrupt_files(tmp_path):
    make_a2d_tree(str(tmp_path))
    with open(osp.join(str(tmp_path), a2d.CLIP_DIR, 'vidTrain_02.mp4'),
              'wb') as f:
        f.write(b'\0' * 100)
    rc, out = run_tool(
        'a2d_sentences/check_tree.py', str(tmp_path), capture=True)
    assert rc == 0  # existence only
    rc, out = run_tool(
        'a2d_sentences/check_tree.py', str(tmp_path), '--deep', capture=True)
    assert rc == 1 and 'corrupt videos (1)' in out and 'vidTrain_02' in out


def test_a2d_check_tree_deep_reads_masks_past_the_cache(tmp_path):
    """--deep used to answer from the mask-index cache: a mask file damaged
    after indexing was reported OK."""
    make_a2d_tree(str(tmp_path))
    mdir = osp.join(str(tmp_path), a2d.MASK_DIR)
    assert run_tool(
        'a2d_sentences/check_tree.py', str(tmp_path), '--deep',
        capture=True)[0] == 0  # writes the cache
    # truncated in place: the folder's mtime stays as it was
    path = osp.join(mdir, 'vidTrain_02', '00007.h5')
    folder = os.stat(osp.dirname(path))
    with open(path, 'r+b') as f:
        f.truncate(os.path.getsize(path) // 2)
    os.utime(osp.dirname(path), ns=(folder.st_atime_ns, folder.st_mtime_ns))
    # damaged mask data under an intact header (all that the index reads):
    # only reading the masks finds it
    import h5py
    bitrot = osp.join(mdir, 'vidTrain_01', '00003.h5')
    with h5py.File(bitrot, 'r') as f:
        ids = f['instance'][()]
        masks = f['reMask'][()]
    with h5py.File(bitrot, 'w') as f:
        f['instance'] = ids
        f.create_dataset(
            'reMask', data=masks, chunks=masks.shape, compression='gzip')
    with h5py.File(bitrot, 'r') as f:
        offset = f['reMask'].id.get_chunk_info(0).byte_offset
    with open(bitrot, 'r+b') as f:
        f.seek(offset)
        f.write(b'\xff' * 16)
    assert a2d.read_h5_frame_info(bitrot)['num_masks'] >= 1  # header fine
    rc, out = run_tool(
        'a2d_sentences/check_tree.py', str(tmp_path), '--deep', capture=True)
    assert rc == 1 and 'unreadable mask files (2)' in out, out
    assert 'vidTrain_02/00007.h5' in out and 'vidTrain_01/00003.h5' in out


def test_a2d_prepare_vocab_frames_and_resume(tmp_path):
    make_a2d_tree(str(tmp_path))
    rc, out = run_tool(
        'a2d_sentences/prepare.py',
        str(tmp_path),
        '--extract-frames',
        capture=True)
    assert rc == 0, out
    assert 'train: 8 samples, 2 videos, 3 queries' in out
    assert 'test: 6 samples, 1 videos, 2 queries' in out
    with open(osp.join(str(tmp_path), 'vocab.json')) as f:
        words = json.load(f)
    assert words[:2] == ['<pad>', '<unk>']
    assert 'climbing' in words and 'adult' not in words  # train split only
    fdir = osp.join(str(tmp_path), a2d.FRAME_DIR, 'vidTrain_01')
    assert sorted(os.listdir(fdir))[:2] == ['00001.jpg', '00002.jpg']
    assert len(os.listdir(fdir)) == 12
    assert not osp.isdir(osp.join(str(tmp_path), a2d.FRAME_DIR, 'vidMissed01'))
    # a second run skips what is done
    rc, out = run_tool(
        'a2d_sentences/prepare.py',
        str(tmp_path),
        '--extract-frames',
        capture=True)
    assert rc == 0
    assert 'frames: 3 videos already extracted, 0 to do' in out
    assert 'mask index: 0 videos read now, 3 from the cache' in out


def test_a2d_prepare_stops_on_missing_files(tmp_path):
    make_a2d_tree(str(tmp_path))
    os.remove(osp.join(str(tmp_path), a2d.CLIP_DIR, 'vidTrain_02.mp4'))
    rc, out = run_tool('a2d_sentences/prepare.py', str(tmp_path), capture=True)
    assert rc == 1 and 'vidTrain_02.mp4' in out
    rc, out = run_tool(
        'a2d_sentences/prepare.py', str(tmp_path), '--force', capture=True)
    assert rc == 0 and 'train: 5 samples' in out


def test_jhmdb_check_tree(tmp_path):
    make_jhmdb_tree(str(tmp_path))
    rc, out = run_tool(
        'jhmdb_sentences/check_tree.py', str(tmp_path), '--deep', capture=True)
    assert rc == 0, out
    assert 'jhmdb_annotation.txt: 3 rows' in out and '928' in out
    assert '1 have frames after the last mask' in out
    os.remove(
        osp.join(
            str(tmp_path), 'Rename_Images', 'walk', 'vidB_walk', '00001.png'))
    rc, out = run_tool(
        'jhmdb_sentences/check_tree.py', str(tmp_path), capture=True)
    assert rc == 1 and 'vidB_walk/00001.png' in out


def test_scripts_find_the_shared_modules_in_an_installed_copy(tmp_path):
    # <site-packages>/mmcsted/.mim/tools (a non-editable install), run from
    # another directory: the scripts import tools.data.* from that copy
    import shutil
    import subprocess
    import sys

    import mmcsted
    repo = osp.dirname(osp.dirname(osp.abspath(mmcsted.__file__)))
    site = tmp_path / 'site-packages'
    mim = site / 'mmcsted' / '.mim'
    shutil.copytree(
        osp.join(repo, 'tools'),
        mim / 'tools',
        ignore=shutil.ignore_patterns('__pycache__'))
    lib = tmp_path / 'lib'  # the package alone, without the checkout's tools
    lib.mkdir()
    (lib / 'mmcsted').symlink_to(osp.dirname(osp.abspath(mmcsted.__file__)))
    env = dict(os.environ, PYTHONPATH=str(lib))
    out = tmp_path / 'syn'
    script = mim / 'tools' / 'data' / 'synthetic' / 'generate.py'
    cmd = [sys.executable, str(script), str(out), '--num-videos', '6']
    cmd += ['--height', '32', '--width', '40', '--num-frames', '8']
    proc = subprocess.run(
        cmd, cwd=str(tmp_path), env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    meta = json.loads((out / 'generator_meta.json').read_text())
    assert len(meta['videos']) == 6


def test_a2d_check_names_stray_quotes_and_queries_without_a_word(tmp_path):
    make_a2d_tree(str(tmp_path))
    path = osp.join(str(tmp_path), 'text_annotations', 'a2d_annotation.txt')
    with open(path) as f:
        text = f.read()
    with open(path, 'w') as f:
        f.write(text + 'vidTrain_02,1,?!... --\nvidTrain_02,1,a "red car\n')
    rc, out = run_tool(
        'a2d_sentences/check_tree.py', str(tmp_path), capture=True)
    assert rc == 0, out
    assert 'rows with an empty query (1): line 9' in out
    assert ('queries with an odd number of quotes (kept as written) (1): '
            "line 10: 'a \"red car'") in out
    with open(path, 'w') as f:
        f.write(text.replace('red car jumping', '"red car jumping', 1))
    rc, out = run_tool(
        'a2d_sentences/check_tree.py', str(tmp_path), capture=True)
    assert rc == 1
    assert 'queries hold a line break (lines 4-8)' in out


def test_jhmdb_check_reports_queries_without_a_word(tmp_path):
    make_jhmdb_tree(str(tmp_path))
    with open(osp.join(str(tmp_path), 'jhmdb_annotation.txt'), 'a') as f:
        f.write('vidC_walk,?!... --\n')
    rc, out = run_tool(
        'jhmdb_sentences/check_tree.py', str(tmp_path), capture=True)
    assert 'rows with an empty query (skipped) (1): line' in out, out
