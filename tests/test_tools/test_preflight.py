"""tools/train.py and tools/test.py say what data is missing before the
runner dumps the config (a new user's first run has no data)."""
import os
import os.path as osp
import subprocess
import sys

from mmengine.config import Config

from tests.dataset_trees import make_synthetic_a2d
from tools.misc.preflight import check_data_before_run, data_problems

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PAPER = osp.join(REPO, 'configs', 'csted', 'csted_iv3_i3d_a2d.py')
JHMDB = osp.join(REPO, 'configs', 'csted', 'csted_iv3_i3d_jhmdb.py')
TINY = osp.join(REPO, 'configs', 'csted', 'synthetic',
                'csted_tiny_synthetic.py')


def _run_tool(tool, *args, cwd):
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    return subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', tool), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)


def test_train_without_a2d_fails_first_and_briefly(tmp_path):
    proc = _run_tool('train.py', PAPER, cwd=str(tmp_path))
    assert proc.returncode == 1
    assert ('A2D Sentences not found at data/a2d_sentences: see '
            'docs/dataset_prepare.md') in proc.stderr
    assert 'the query vocabulary not found at data/a2d_sentences/vocab.json' \
        in proc.stderr
    # no config dump, no traceback: the message is the output
    assert 'Traceback' not in proc.stderr
    assert 'Config:' not in proc.stdout + proc.stderr
    assert len((proc.stdout + proc.stderr).splitlines()) < 10


def test_test_without_jhmdb_fails_before_the_checkpoint(tmp_path):
    # the checkpoint is not even looked at (no download of a zoo model)
    proc = _run_tool(
        'test.py', JHMDB, 'no_such_checkpoint.pth', cwd=str(tmp_path))
    assert proc.returncode == 1
    assert ('J-HMDB Sentences not found at data/jhmdb_sentences: see '
            'docs/dataset_prepare.md') in proc.stderr
    assert 'no_such_checkpoint' not in proc.stderr


def test_synthetic_tree_present_or_absent(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(TINY)
    problems = data_problems(cfg, ('train', 'val', 'test'))
    assert len(problems) == 2  # the tree (once for all splits), the vocab
    assert problems[0].startswith(
        'the synthetic benchmark not found at data/synthetic_a2d: write it '
        'with tools/data/synthetic/generate.py')
    make_synthetic_a2d(str(tmp_path / 'data' / 'synthetic_a2d'), num_videos=6)
    assert data_problems(cfg, ('train', 'val', 'test')) == []
    check_data_before_run(cfg, ('train', ))  # raises nothing


def test_incomplete_tree_and_glove_are_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(PAPER)
    os.makedirs('data/a2d_sentences')
    with open('data/a2d_sentences/vocab.json', 'w') as f:
        f.write('["a"]')
    cfg.model.spatial_encoder.text_encoder.glove_file = 'glove.zip'
    problems = data_problems(cfg, ('train', ))
    assert problems == [
        'A2D Sentences at data/a2d_sentences has no Release/videoset.csv: '
        'see docs/dataset_prepare.md',
        'the GloVe vectors not found at glove.zip '
        '(model.spatial_encoder.text_encoder.glove_file): glove.840B.300d.zip'
        ' from https://nlp.stanford.edu/projects/glove/; see '
        'docs/dataset_prepare.md'
    ]
