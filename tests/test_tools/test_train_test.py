"""tools/train.py, tools/test.py and the torchrun scripts, end to end on a tiny
synthetic A2D-format set (CPU, gloo)."""
import argparse
import json
import os
import os.path as osp
import re
import shutil
import socket
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from tests.helpers import load_script
from tools.data import synthetic
from tools.misc.work_dir_lock import hold_work_dir

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs/csted/synthetic/csted_tiny_synthetic.py')

# No random augmentation, so that an interrupted and resumed run can replay the
# uninterrupted one exactly (the augmentation RNG is not in checkpoints).
TEST_CONFIG = '''
_base_ = [{base!r}]
data_root = {root!r}
vocab_file = data_root + '/vocab.json'
model = dict(
    spatial_encoder=dict(text_encoder=dict(vocab_file=vocab_file)),
    temporal_encoder=dict(text_encoder=dict(vocab_file=vocab_file)))
plain_train_pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleClipAroundFrame', clip_len=8, frame_interval=1),
    dict(type='VideoDecode'),
    dict(type='LoadActorMask'),
    dict(type='ResizePadSquare', size=64),
    dict(type='PackActorSegInputs'),
]
test_pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleClipAroundFrame', clip_len=8, frame_interval=1),
    dict(type='VideoDecode'),
    dict(type='ResizePadSquare', size=64),
    dict(type='LoadActorMask'),
    dict(type='PackActorSegInputs'),
]
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=plain_train_pipeline))
val_dataloader = dict(
    batch_size=3, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=2, val_interval=10)
param_scheduler = []
randomness = dict(seed=0, deterministic=True)
default_hooks = dict(logger=dict(interval=1))
'''


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp('syn')
    data = str(root / 'data')
    synthetic.generate(
        data, num_videos=8, height=32, width=40, num_frames=12, seed=3)
    cfg = root / 'tiny.py'
    cfg.write_text(TEST_CONFIG.format(base=CONFIG, root=data))
    return root, str(cfg)


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


def _run(args, expect_ok=True, **env):
    # The shell scripts call `python`: make it this interpreter (the venv's,
    # even when the venv is not activated, as in CI).
    path = osp.dirname(sys.executable) + os.pathsep + os.environ.get(
        'PATH', '')
    full_env = dict(
        os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1', PATH=path, **env)
    proc = subprocess.run(
        args,
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=600)
    if expect_ok:
        assert proc.returncode == 0, \
            proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def _train(cfg, work_dir, *extra):
    return _run([
        sys.executable, 'tools/train.py', cfg, '--work-dir', work_dir,
        '--no-validate', *extra
    ])


def _weights(path):
    from mmcsted.utils import load_weights
    return load_weights(path)['state_dict']


def test_resume_ends_with_the_same_weights(setup):
    root, cfg = setup
    straight, interrupted = str(root / 'straight'), str(root / 'interrupted')
    _train(cfg, straight)
    _train(cfg, interrupted, '--cfg-options', 'train_cfg.max_epochs=1')
    assert not osp.exists(osp.join(interrupted, 'epoch_2.pth'))
    _train(cfg, interrupted, '--resume')
    a = _weights(osp.join(straight, 'epoch_2.pth'))
    b = _weights(osp.join(interrupted, 'epoch_2.pth'))
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0, msg=k)
    # and training did change the weights
    first = _weights(osp.join(interrupted, 'epoch_1.pth'))
    assert any(not torch.equal(first[k], a[k]) for k in a
               if a[k].is_floating_point())


def test_resume_skips_a_truncated_last_checkpoint(setup):
    """A run killed while writing epoch_2.pth: --resume falls back to
    epoch_1.pth, says so, and ends as the uninterrupted run."""
    root, cfg = setup
    straight, broken = str(root / 'straight'), str(root / 'broken')
    if not osp.exists(osp.join(straight, 'epoch_2.pth')):
        _train(cfg, straight)
    os.makedirs(broken)
    shutil.copy(osp.join(straight, 'epoch_1.pth'), broken)
    data = open(osp.join(straight, 'epoch_2.pth'), 'rb').read()
    with open(osp.join(broken, 'epoch_2.pth'), 'wb') as f:
        f.write(data[:len(data) // 3])
    with open(osp.join(broken, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(broken, 'epoch_2.pth'))
    proc = _train(cfg, broken, '--resume')
    out = proc.stdout + proc.stderr
    assert f'--resume: skipped {osp.join(broken, "epoch_2.pth")}' in out
    assert f'--resume: resuming from {osp.join(broken, "epoch_1.pth")}' in out
    a = _weights(osp.join(straight, 'epoch_2.pth'))
    b = _weights(osp.join(broken, 'epoch_2.pth'))
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0, msg=k)


def test_no_validate_with_options_on_the_val_dataloader(setup):
    # --cfg-options are merged before --no-validate drops the val loop (a
    # TypeError when they were merged into the dropped None)
    train = load_script(osp.join(REPO, 'tools', 'train.py'))
    root, cfg = setup
    args = argparse.Namespace(
        no_validate=True,
        launcher='none',
        work_dir=str(root / 'w'),
        amp=False,
        resume=None,
        auto_scale_lr=False,
        seed=None,
        diff_rank_seed=False,
        deterministic=False,
        cfg_options={
            'val_dataloader.dataset.data_root': '/elsewhere',
            'randomness.seed': 5
        })
    merged = train.merge_args(Config.fromfile(cfg), args)
    assert merged.val_dataloader is None and merged.val_cfg is None
    assert merged.randomness['seed'] == 5


@pytest.mark.parametrize('cuda,bf16,expected', [
    (False, False, dict(type='BF16OptimWrapper')),
    (True, True, dict(type='AmpOptimWrapper', dtype='bfloat16')),
    (True, False, dict(type='AmpOptimWrapper', loss_scale='dynamic')),
])
def test_amp_on_the_cpu_is_bf16_autocast(monkeypatch, cuda, bf16, expected):
    # mmengine's AmpOptimWrapper asserts a GPU: --amp on a CPU-only machine
    # failed before the first step
    train = load_script(osp.join(REPO, 'tools', 'train.py'))
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: cuda)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda: bf16)
    cfg = Config(dict(optim_wrapper=dict(optimizer=dict(type='Adam'))))
    train.set_amp(cfg)
    assert cfg.optim_wrapper.to_dict() == dict(
        optimizer=dict(type='Adam'), **expected)
    cfg.optim_wrapper.type = 'GradAccumulationWrapper'
    with pytest.raises(ValueError, match='--amp does not work with'):
        train.set_amp(cfg)


def test_a_second_run_in_a_held_work_dir_is_refused(setup):
    root, cfg = setup
    work_dir = str(root / 'held')
    with hold_work_dir(work_dir):
        proc = _run([
            sys.executable, 'tools/train.py', cfg, '--work-dir', work_dir,
            '--no-validate'
        ],
                    expect_ok=False)
    assert proc.returncode != 0
    assert (f'in use by another training run (pid {os.getpid()} on '
            f'{socket.gethostname()}') in proc.stderr
    assert not osp.exists(osp.join(work_dir, 'epoch_1.pth'))
    # the runs of this module finished cleanly: their lock is free, no
    # temporary file is left in their work dirs
    straight = root / 'straight'
    if straight.exists():
        assert not [p for p in straight.iterdir() if p.name.endswith('.tmp')]


def test_a_checkpoint_of_another_config_is_refused(setup):
    """tools/test.py with the checkpoint of a narrower model: a short error
    with the counts, a few names and exit status 1, not hundreds of
    size-mismatch lines and metrics; --allow-mismatch tests it anyway."""
    from mmengine.config import Config

    from mmcsted.registry import MODELS
    root, cfg = setup
    narrow = Config.fromfile(cfg)
    for enc in ('spatial_encoder', 'temporal_encoder'):
        narrow.model[enc].backbone.backbone.base_channels = 8
    narrow.model.spatial_encoder.backbone.backbone.stem_channels = 8
    torch.manual_seed(0)
    model = MODELS.build(narrow.model)
    ckpt = str(root / 'narrow.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)

    metrics = str(root / 'narrow_metrics.json')
    args = [
        sys.executable, 'tools/test.py', cfg, ckpt, '--work-dir',
        str(root / 'narrow_test'), '--metrics-out', metrics
    ]
    proc = _run(args, expect_ok=False)
    assert proc.returncode == 1
    assert f'error: checkpoint {ckpt} does not fit the config {cfg}' in \
        proc.stderr
    assert '--allow-mismatch' in proc.stderr
    reshaped = re.search(r'(\d+) of another shape weights \(e\.g\. ',
                         proc.stderr)
    assert reshaped and int(reshaped.group(1)) > 100
    # refused before loading: a few example names, no line per weight
    out = proc.stdout + proc.stderr
    assert 'size mismatch for' not in out
    assert len(
        re.search(r'of another shape: ([^;)]*)',
                  proc.stderr).group(1).split(', ')) == 3
    assert not osp.exists(metrics)

    # loaded by the runner (load_from): mmengine logs the reshaped weights
    proc = _run(args + ['--allow-mismatch'])
    assert json.load(open(metrics))['num_samples'] > 0
    assert 'size mismatch for' in proc.stdout + proc.stderr


def test_a_missing_checkpoint_is_one_line(setup):
    """With the data there, a checkpoint argument that is neither a file, a
    URL nor a zoo name is a one-line error, not a traceback."""
    root, cfg = setup
    missing = str(root / 'no_such.pth')
    proc = _run([
        sys.executable, 'tools/test.py', cfg, missing, '--work-dir',
        str(root / 'missing_test')
    ],
                expect_ok=False)
    assert proc.returncode == 1
    assert f'tools/test.py: {missing} is neither a file' in proc.stderr
    assert 'Traceback' not in proc.stderr


def test_a_missing_config_or_resume_file_is_one_line(setup):
    """A config path or a --resume checkpoint that does not exist: one line
    naming the tool and the file, exit status 1, no traceback, nothing
    trained."""
    root, cfg = setup
    for args, line in (
        (['tools/train.py', str(root / 'no_such.py')],
         f'tools/train.py: config file not found: {root / "no_such.py"}'),
        (['tools/test.py', str(root / 'no_such.py'), 'x.pth'],
         f'tools/test.py: config file not found: {root / "no_such.py"}'),
        ([
            'tools/train.py', cfg, '--work-dir',
            str(root / 'no_resume'), '--resume',
            str(root / 'no_such.pth')
        ], 'tools/train.py: --resume: checkpoint '
         f'not found: {root / "no_such.pth"}'),
    ):
        proc = _run([sys.executable] + args, expect_ok=False)
        assert proc.returncode == 1 and line in proc.stderr, proc.stderr
        assert 'Traceback' not in proc.stderr
    assert not osp.exists(root / 'no_resume' / 'last_checkpoint')


def test_dist_test_two_processes_equals_one(setup):
    root, cfg = setup
    work = str(root / 'straight')
    ckpt = osp.join(work, 'epoch_2.pth')
    if not osp.exists(ckpt):
        _train(cfg, work)
    one, two = str(root / 'm1.json'), str(root / 'm2.json')
    dump1, dump2 = str(root / 'd1.json'), str(root / 'd2.json')
    _run([
        sys.executable, 'tools/test.py', cfg, ckpt, '--work-dir',
        str(root / 't1'), '--metrics-out', one, '--out', dump1
    ])
    _run([
        'bash', 'tools/dist_test.sh', cfg, ckpt, '2', '--work-dir',
        str(root / 't2'), '--metrics-out', two, '--out', dump2
    ],
         PORT=_free_port())
    m1, m2 = json.load(open(one)), json.load(open(two))
    assert m1['num_samples'] == m2['num_samples'] > 0
    for k, v in m1.items():
        assert m2[k] == pytest.approx(v, abs=1e-4), k
    # A user without the vocabulary file: the checkpoint's words are used.
    three = str(root / 'm3.json')
    missing = str(root / 'no_such_vocab.json')
    _run([
        sys.executable, 'tools/test.py', cfg, ckpt, '--work-dir',
        str(root / 't3'), '--metrics-out', three, '--cfg-options',
        f'model.spatial_encoder.text_encoder.vocab_file={missing}',
        f'model.temporal_encoder.text_encoder.vocab_file={missing}'
    ])
    assert json.load(open(three)) == m1
    rows1 = sorted(r['sample_idx'] for r in json.load(open(dump1)))
    rows2 = sorted(r['sample_idx'] for r in json.load(open(dump2)))
    assert rows1 == rows2 == list(range(len(rows1)))


def test_dist_train_two_processes(setup):
    root, cfg = setup
    work = str(root / 'dist_train')
    _run([
        'bash', 'tools/dist_train.sh', cfg, '2', '--work-dir', work,
        '--no-validate', '--cfg-options', 'train_cfg.max_epochs=1'
    ],
         PORT=_free_port())
    assert osp.exists(osp.join(work, 'epoch_1.pth'))


def test_same_command_same_weights(setup):
    """The same command twice gives the same weights to the bit on the CPU
    (same thread count), with the config's own random augmentation and
    dataloader workers (seeded by mmengine per worker)."""
    root, _ = setup
    cfg = root / 'augmented.py'
    cfg.write_text(f'''
_base_ = [{CONFIG!r}]
data_root = {str(root / 'data')!r}
vocab_file = data_root + '/vocab.json'
model = dict(
    spatial_encoder=dict(text_encoder=dict(vocab_file=vocab_file)),
    temporal_encoder=dict(text_encoder=dict(vocab_file=vocab_file)))
train_dataloader = dict(batch_size=4, num_workers=2,
                        dataset=dict(data_root=data_root))
train_cfg = dict(max_epochs=1)
''')
    runs = [str(root / f'same_{i}') for i in range(2)]
    for work_dir in runs:
        _train(str(cfg), work_dir)
    a, b = (_weights(osp.join(w, 'epoch_1.pth')) for w in runs)
    for k in a:
        assert torch.equal(a[k], b[k]), k
