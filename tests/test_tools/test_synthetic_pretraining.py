"""The synthetic pretraining configs (mmaction2 / mmpretrain scopes) through
tools/train.py, and tools/analysis_tools/probe_temporal_encoder.py, on a tiny
generated set."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

from tests.dataset_trees import make_synthetic_a2d

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
KINETICS = 'configs/pretrain/synthetic_kinetics_r3d18_tiny.py'
IMAGENET = 'configs/pretrain/synthetic_imagenet_r18_tiny.py'


def _one_iteration_options(root):
    """Two samples, batch 2: one training iteration, then one validation
    iteration (on the test videos: the tiny set may hold no 'val' video)."""
    opts = [
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        'default_hooks.logger.interval=1'
    ]
    for loader in ('train_dataloader', 'val_dataloader'):
        opts += [
            f'{loader}.dataset.data_root={root}', f'{loader}.batch_size=2',
            f'{loader}.dataset.indices=2', f'{loader}.num_workers=0',
            f'{loader}.persistent_workers=False'
        ]
    opts.append('val_dataloader.dataset.split=test')
    return opts


def _train(config, work_dir, root):
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    proc = subprocess.run([
        sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
        '--cfg-options', *_one_iteration_options(root)
    ],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory):
    base = tmp_path_factory.mktemp('synthetic_pretraining')
    root = str(base / 'data')
    make_synthetic_a2d(
        root, num_videos=10, height=48, width=64, num_frames=12, seed=5)
    out = {}
    for name, config in (('kinetics', KINETICS), ('imagenet', IMAGENET)):
        work = str(base / name)
        log = _train(config, work, root)
        out[name] = (osp.join(work, 'epoch_1.pth'), log)
    return root, out


@pytest.mark.parametrize('name,metric', [('kinetics', 'acc/top1'),
                                         ('imagenet', 'accuracy/top1')])
def test_pretraining_runs_one_iteration(pretrained, name, metric):
    _, out = pretrained
    ckpt, log = out[name]
    assert 'Epoch(train) [1][1/1]' in log
    assert re.search(re.escape(metric) + r': \d', log), log[-2000:]
    from mmcsted.utils import load_weights
    state = load_weights(ckpt)['state_dict']
    assert any(k.startswith('backbone.layer4.') for k in state)
    head = 'cls_head.' if name == 'kinetics' else 'head.'
    assert any(k.startswith(head) for k in state)


def _probe(argv, capsys):
    sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
    try:
        import probe_temporal_encoder as probe
    finally:
        sys.path.pop(0)
    summary = probe.main(argv)
    return summary, capsys.readouterr().out


def _stage_rows(text, name):
    return [
        line.split() for line in text.splitlines() if line.startswith(name)
    ]


def test_probe_prints_an_accuracy_per_stage(pretrained, tmp_path, capsys):
    root, out = pretrained
    json_out = str(tmp_path / 'probe.json')
    summary, text = _probe([
        osp.join(REPO, 'configs/csted/synthetic/csted_tiny_synthetic.py'),
        out['kinetics'][0], '--data-root', root, '--max-samples', '16',
        '--also-random', '--out', json_out
    ], capsys)
    for name in ('checkpoint', 'random'):
        rows = _stage_rows(text, name)
        assert [r[1] for r in rows] == ['1', '2', '3', '4', '5'], text
        for r in rows:  # centroid, balanced, linear, balanced: percentages
            assert all(0 <= float(v) <= 100 for v in r[3:7]), r
    assert 'backbone checkpoint' in text and 'chance' in text
    saved = json.load(open(json_out))
    assert saved['encoder'] == 'temporal' and saved['label'] == 'action'
    assert saved['scored_samples'] <= 16 and saved['fit_samples'] <= 16
    assert [r['stage']
            for r in saved['results']['checkpoint']] == [1, 2, 3, 4, 5]
    assert [r['channels']
            for r in saved['results']['random']] == [16, 16, 32, 64, 128]


def test_probe_of_a_csted_checkpoint_with_cmam(pretrained, tmp_path, capsys):
    """A trained CSTED checkpoint (here: a freshly built model's weights),
    the spatial encoder with the query's CMAMs, another label."""
    root, _ = pretrained
    from mmengine.config import Config

    from mmcsted.registry import MODELS
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/csted/synthetic/csted_tiny_synthetic.py'))
    vocab = osp.join(root, 'vocab.json')
    for enc in ('spatial_encoder', 'temporal_encoder'):
        cfg.model[enc].text_encoder.vocab_file = vocab
    model = MODELS.build(cfg.model)
    ckpt = str(tmp_path / 'csted.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    summary, text = _probe([
        osp.join(REPO, 'configs/csted/synthetic/csted_tiny_synthetic.py'),
        ckpt, '--data-root', root, '--max-samples', '12', '--encoder',
        'spatial', '--label', 'colour', '--with-cmam', '--split', 'train',
        '--cfg-options',
        f'model.spatial_encoder.text_encoder.vocab_file={vocab}',
        f'model.temporal_encoder.text_encoder.vocab_file={vocab}'
    ], capsys)
    assert 'CSTED checkpoint' in text and 'with the query' in text
    assert len(_stage_rows(text, 'checkpoint')) == 5
    assert summary['with_cmam'] and len(summary['classes']) == 8
