"""tools/run_synthetic_benchmark.py: which synthetic pretraining each row
needs, and that the checkpoint a row loads is the one its pretraining config
writes last."""
import glob
import importlib.util
import os.path as osp
import subprocess

import pytest
from mmengine.config import Config

from tools.data.synthetic.pretrain_annotations import (PRETRAINING_SETS,
                                                       SPLITS, annotation_file)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def bench():
    spec = importlib.util.spec_from_file_location(
        'run_synthetic_benchmark',
        osp.join(REPO, 'tools', 'run_synthetic_benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_main_job_pretrains_both_encoders_first(bench, monkeypatch):
    monkeypatch.chdir(REPO)
    jobs = bench.pretraining_jobs([bench.DEFAULT_CONFIG], 'wd')
    assert jobs == [
        ('configs/pretrain/synthetic_imagenet_r18_tiny.py',
         osp.join('wd', 'synthetic_imagenet_r18_tiny', 'epoch_50.pth')),
        ('configs/pretrain/synthetic_kinetics_r3d18_tiny_10e.py',
         osp.join('wd', 'synthetic_kinetics_r3d18_tiny_10e', 'epoch_10.pth')),
    ]
    # the main job's 3D backbone stays frozen (the recipe of the table)
    model = Config.fromfile(osp.join(REPO, bench.DEFAULT_CONFIG)).model
    assert model.temporal_encoder.backbone.frozen is True
    # from scratch: nothing to pretrain
    assert bench.pretraining_jobs([bench.SCRATCH_CONFIG], 'wd') == []


def test_every_synthetic_row_loads_the_last_pretraining_epoch(
        bench, monkeypatch):
    """A row that names epoch_30 of a 10-epoch pretraining would wait for a
    file that never comes: every such pair must agree."""
    monkeypatch.chdir(REPO)
    configs = sorted(glob.glob('configs/csted/synthetic/*.py'))
    jobs = bench.pretraining_jobs(configs, 'work_dirs')
    assert len(jobs) == 3  # ImageNet 50e, Kinetics 30e, Kinetics 10e
    for pretrain_cfg, ckpt in jobs:
        epochs = Config.fromfile(pretrain_cfg).train_cfg.max_epochs
        assert osp.basename(ckpt) == f'epoch_{epochs}.pth', pretrain_cfg
    for _, config in bench.PRETRAINED_ABLATIONS:
        model = Config.fromfile(config).model
        temporal = model.get('temporal_encoder')
        if temporal:  # the table's pretrained rows keep the 3D backbone frozen
            assert temporal.backbone.frozen is True, config


def test_installed_copy_works_in_the_current_directory(tmp_path, monkeypatch):
    # <site-packages>/mmcsted/.mim/tools/run_synthetic_benchmark.py (a
    # non-editable install): configs and tools from .mim, everything it
    # writes (data, work_dirs, checkpoints) in the working directory
    mim_dir = tmp_path / 'site-packages' / 'mmcsted' / '.mim'
    (mim_dir / 'tools').mkdir(parents=True)
    (mim_dir / 'configs').symlink_to(osp.join(REPO, 'configs'))
    script = mim_dir / 'tools' / 'run_synthetic_benchmark.py'
    script.write_text(
        open(osp.join(REPO, 'tools', 'run_synthetic_benchmark.py')).read())
    spec = importlib.util.spec_from_file_location('installed_bench', script)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.INSTALLED
    work = tmp_path / 'work'
    work.mkdir()
    monkeypatch.chdir(work)
    assert bench.in_repo('tools/train.py') == str(mim_dir / 'tools' /
                                                  'train.py')
    assert [
        cfg for cfg, _ in bench.pretraining_jobs([bench.DEFAULT_CONFIG], 'wd')
    ] == [
        str(mim_dir / 'configs/pretrain/synthetic_imagenet_r18_tiny.py'),
        str(mim_dir / 'configs/pretrain/synthetic_kinetics_r3d18_tiny_10e.py')
    ]
    calls = []
    monkeypatch.setattr(bench, 'pretrain_all', lambda jobs, w, d: [])
    monkeypatch.setattr(bench, 'last_checkpoint', lambda d: 'ckpt.pth')
    monkeypatch.setattr(bench, 'print_table', lambda rows: None)

    def fake_run(cmd):
        calls.append(cmd)
        if '--metrics-out' in cmd:
            with open(cmd[cmd.index('--metrics-out') + 1], 'w') as f:
                f.write('{}')

    monkeypatch.setattr(bench, 'run', fake_run)
    monkeypatch.setattr(
        'sys.argv',
        ['run_synthetic_benchmark.py', '--from-scratch', '--no-publish'])
    (work / 'data' / 'synthetic_a2d').mkdir(parents=True)
    (work / 'data' / 'synthetic_a2d' / 'generator_meta.json').write_text('{}')
    (work / 'data' / 'synthetic_a2d' / 'annotations').mkdir()
    for name in PRETRAINING_SETS:
        for split in SPLITS:
            (work / 'data' / 'synthetic_a2d' /
             annotation_file(name, split)).write_text('{}')
    (work / 'work_dirs' / 'csted_tiny_synthetic').mkdir(parents=True)
    bench.main()
    assert osp.samefile(osp.realpath('.'), work)  # not chdir'ed into .mim
    train, test = calls
    scratch = str(mim_dir / bench.SCRATCH_CONFIG)
    assert train[1:3] == [str(mim_dir / 'tools' / 'train.py'), scratch]
    assert test[1:3] == [str(mim_dir / 'tools' / 'test.py'), scratch]
    assert (work / 'work_dirs' / 'synthetic_benchmark.json').is_file()
    assert not (mim_dir / 'work_dirs').exists()


def test_data_root_and_work_root_reach_every_step(bench, monkeypatch):
    # --data-root X: pretraining, training and testing all read X (the
    # generator writes it); --work-root moves the work_dirs/ checkpoints
    monkeypatch.chdir(REPO)
    for config in [bench.DEFAULT_CONFIG] + [
            cfg for cfg, _ in bench.pretraining_jobs([bench.DEFAULT_CONFIG],
                                                     'work_dirs')
    ]:
        opts = bench.with_relocations(config, 'wr', '/x/syn', [])
        assert opts[0] == '--cfg-options'
        cfg = Config.fromfile(osp.join(REPO, config))
        cfg.merge_from_dict(
            dict(o.split('=', 1) for o in opts[1:]), allow_list_keys=True)
        text = cfg.pretty_text
        assert 'data/synthetic_a2d' not in text, config
        assert "'work_dirs/" not in text, config
        assert cfg.train_dataloader.dataset.data_root == '/x/syn', config
    # the defaults change nothing
    assert bench.with_relocations(bench.DEFAULT_CONFIG, 'work_dirs',
                                  'data/synthetic_a2d', ['-a']) == ['-a']


def test_training_skips_the_validation_the_test_repeats(
        bench, tmp_path, monkeypatch):
    # the synthetic configs validate on the test split that tools/test.py
    # scores right after training: the training command turns it off, in
    # the one --cfg-options list with the relocations
    monkeypatch.chdir(REPO)
    calls, envs = [], []

    def fake_run(cmd, check, env):
        calls.append(cmd)
        envs.append(env)
        if '--metrics-out' in cmd:
            with open(cmd[cmd.index('--metrics-out') + 1], 'w') as f:
                f.write('{}')

    monkeypatch.setattr(bench.subprocess, 'run', fake_run)
    monkeypatch.setattr(bench, 'last_checkpoint', lambda d: 'ckpt.pth')
    for var in ('OMP_NUM_THREADS', 'MALLOC_MMAP_THRESHOLD_',
                'MALLOC_TRIM_THRESHOLD_'):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / 'row').mkdir()
    bench.train_and_test(bench.DEFAULT_CONFIG, str(tmp_path / 'row'), '/x/syn',
                         [])
    train, test = calls
    assert train.count('--cfg-options') == 1
    opts = dict(
        o.split('=', 1) for o in train[train.index('--cfg-options') + 1:])
    max_epochs = Config.fromfile(bench.DEFAULT_CONFIG).train_cfg.max_epochs
    assert opts['train_cfg.val_begin'] == str(max_epochs + 1)
    assert opts['train_dataloader.dataset.data_root'] == '/x/syn'
    assert not any('val_begin' in arg for arg in test)
    # one torch thread per process; malloc keeps freed memory
    assert [env['OMP_NUM_THREADS'] for env in envs] == ['1', '1']
    assert all(
        int(env['MALLOC_MMAP_THRESHOLD_']) == 32 << 20
        and int(env['MALLOC_TRIM_THRESHOLD_']) >= 1 << 30 for env in envs)


def test_each_pretraining_test_follows_its_training_side_by_side(
        bench, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    started, live = [], []

    class FakeProcess:

        def __init__(self, cmd, env, stdout, stderr):
            started.append((cmd, len(live)))
            live.append(self)
            self.cmd = cmd
            script = cmd[1]
            if script.endswith('test.py'):
                out = cmd[cmd.index('--metrics-out') + 1]
                # the recognizer's fraction, the classifier's percentage
                with open(out, 'w') as f:
                    f.write('{"acc/top1": 0.5}' if 'kinetics' in
                            cmd[2] else '{"accuracy/top1": 50.0}')

        def poll(self):
            # each process ends at its first poll, the earliest started first
            if self in live:
                live.remove(self)
            return 0

        def wait(self):
            return self.poll()

    monkeypatch.setattr(bench.subprocess, 'Popen', FakeProcess)
    monkeypatch.setattr(bench.os, 'cpu_count', lambda: 2)
    jobs = bench.pretraining_jobs([bench.DEFAULT_CONFIG], str(tmp_path))
    assert len(jobs) == 2
    testing = bench.pretrain_all(jobs, str(tmp_path), 'data/synthetic_a2d')
    steps = [(osp.basename(cmd[1]), cmd[2], running)
             for cmd, running in started]
    # it returns once both checkpoints are trained, the tests still running
    assert len(testing) == 2 and live == [job[2] for job in testing]
    bench.report_pretraining(jobs, testing)
    assert live == []
    assert capsys.readouterr().out.count('top-1 accuracy on the test videos '
                                         '50.00 %') == 2
    (_, cfg_a, _), (_, cfg_b, _) = steps[:2]
    # both trainings side by side; each test starts when its own training
    # ends, while the other chain still runs
    assert steps == [('train.py', cfg_a, 0), ('train.py', cfg_b, 1),
                     ('test.py', cfg_a, 1), ('test.py', cfg_b, 1)]
    for _, ckpt in jobs:
        assert osp.isfile(osp.join(osp.dirname(ckpt), 'train_stdout.log'))
        assert osp.isfile(osp.join(osp.dirname(ckpt), 'test_stdout.log'))


def test_a_failed_step_stops_the_side_by_side_run(bench, tmp_path,
                                                  monkeypatch):
    started = []

    class FakeProcess:

        def __init__(self, cmd, env, stdout, stderr):
            started.append(cmd)
            self.returncode = 1 if cmd[-1] == 'fails' else 0

        def poll(self):
            return self.returncode

        wait = poll

    monkeypatch.setattr(bench.subprocess, 'Popen', FakeProcess)
    log = str(tmp_path / 'log')
    with pytest.raises(subprocess.CalledProcessError, match='first'):
        bench.run_side_by_side([[('first', ['x', 'fails'], log),
                                 ('never', ['x', 'next'], log)]])
    assert started == [['x', 'fails']]


@pytest.mark.parametrize('flags,first', [
    ([], 'DEFAULT_CONFIG'),
    (['--from-scratch'], 'SCRATCH_CONFIG'),
    (['--ablations'], 'ABLATIONS'),
    (['--ablations', '--pretrained'], 'PRETRAINED_ABLATIONS'),
    (['--two-stage'], 'TWO_STAGE'),
    (['--two-stage', '--pretrained'], 'PRETRAINED_TWO_STAGE'),
])
def test_the_flags_choose_the_rows(bench, monkeypatch, flags, first):
    monkeypatch.setattr('sys.argv', ['run_synthetic_benchmark.py'] + flags)
    rows = bench.selected_rows(bench.parse_args())
    expected = getattr(bench, first)
    if isinstance(expected, str):
        assert rows == [(rows[0][0], expected)]
    else:
        assert rows == expected
    # every row's config exists
    assert all(osp.isfile(osp.join(REPO, c)) for _, c in rows)
