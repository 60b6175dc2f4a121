"""The main job on the built-in default, in one command:

    python tools/run_synthetic_benchmark.py

1. generates the synthetic A2D-format benchmark into ``data/synthetic_a2d`` if
   it is not there (tools/data/synthetic/generate.py);
2. pretrains the encoders in the synthetic world, as the paper's start from
   ImageNet and Kinetics-400 (issue 11): Synthetic ImageNet (2D, 50 epochs) and
   Synthetic Kinetics (3D, the short 10-epoch schedule), side by side on two
   processes of one thread each; skipped where the checkpoint exists;
3. trains the full CSTED from those weights with the 3D backbone frozen
   (configs/csted/synthetic/csted_tiny_quick-pretrained_frozen-3d_synthetic.py)
   with tools/train.py, resuming an interrupted run;
4. tests the last checkpoint with tools/test.py (per-sample results in the work
   dir) and prints the metric table, twin / not-twin queries apart;
5. publishes the weights (optimizer state stripped) to
   ``checkpoints/<config name>.pth``, the model-zoo entry the demo uses.

Any row whose encoders start from a synthetic pretraining checkpoint
(``work_dirs/<name>/epoch_<n>.pth`` with ``configs/pretrain/<name>.py``) gets
that pretraining first, whatever the flags.

``--from-scratch`` runs the former default instead: the full model from
random weights (configs/csted/synthetic/csted_tiny_synthetic.py).

``--ablations`` does this for the Table 3a rows (spatial only, temporal only,
both + concat, + LGFS, + CMAM) and for the two single encoders with their
CMAMs, and prints them as one table: from scratch, or with ``--pretrained``
from the synthetic pretraining of the benchmark table (Synthetic ImageNet 50
epochs, Synthetic Kinetics 30 epochs; 3D backbones frozen).

``--two-stage`` runs the paper's two-stage recipe: stage 1 = the two single
encoders with their CMAMs (from scratch, or pretrained with ``--pretrained``),
stage 2 = both loaded and frozen, a fresh joint decoder with LGFS.

Checkpoint paths in the configs (``work_dirs/...``) follow ``--work-root``.

Run from a checkout, it works in the checkout (``data/``, ``work_dirs/``,
``checkpoints/`` there); run from an installed package
(``<site-packages>/mmcsted/.mim/tools``), in the current directory, with the
package's configs and tools.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
# an installed package: never write into site-packages/mmcsted/.mim
INSTALLED = osp.basename(REPO) == '.mim'
# run as a script: the folder holding tools/ goes on the path for the
# modules tools share (tools.data.synthetic)
if __name__ == '__main__':
    sys.path.insert(0, REPO)
DEFAULT_CONFIG = ('configs/csted/synthetic/'
                  'csted_tiny_quick-pretrained_frozen-3d_synthetic.py')
SCRATCH_CONFIG = 'configs/csted/synthetic/csted_tiny_synthetic.py'
PRETRAIN_DIR = 'configs/pretrain'
ABLATIONS = [
    ('spatial only', 'configs/csted/synthetic/'
     'csted_tiny_spatial-only_synthetic.py'),
    ('temporal only', 'configs/csted/synthetic/'
     'csted_tiny_temporal-only_synthetic.py'),
    ('both + concat', 'configs/csted/synthetic/'
     'csted_tiny_no-cmam_concat_synthetic.py'),
    ('+ LGFS', 'configs/csted/synthetic/csted_tiny_no-cmam_lgfs_synthetic.py'),
    ('+ CMAM (full CSTED)', SCRATCH_CONFIG),
    # Single encoders with their own CMAMs (stage 1 of the paper's recipe);
    # the rows above without CMAM read the query in the decoder only.
    ('spatial only + CMAM', 'configs/csted/synthetic/'
     'csted_tiny_spatial-only-cmam_synthetic.py'),
    ('temporal only + CMAM', 'configs/csted/synthetic/'
     'csted_tiny_temporal-only-cmam_synthetic.py'),
]
PRETRAINED_ABLATIONS = [
    ('spatial only [pt]', 'configs/csted/synthetic/'
     'csted_tiny_pretrained_spatial-only_synthetic.py'),
    ('temporal only [pt]', 'configs/csted/synthetic/'
     'csted_tiny_pretrained_temporal-only_synthetic.py'),
    ('both + concat [pt]', 'configs/csted/synthetic/'
     'csted_tiny_pretrained_no-cmam_concat_synthetic.py'),
    ('+ LGFS [pt]', 'configs/csted/synthetic/'
     'csted_tiny_pretrained_no-cmam_lgfs_synthetic.py'),
    ('+ CMAM (full) [pt]', 'configs/csted/synthetic/'
     'csted_tiny_pretrained_frozen-3d_synthetic.py'),
    ('spatial + CMAM [pt]', 'configs/csted/synthetic/'
     'csted_tiny_pretrained_spatial-only-cmam_synthetic.py'),
    ('temporal + CMAM [pt]', 'configs/csted/synthetic/'
     'csted_tiny_pretrained_temporal-only-cmam_synthetic.py'),
]
TWO_STAGE = [
    ('spatial + CMAM (stage 1)', ABLATIONS[5][1]),
    ('temporal + CMAM (stage 1)', ABLATIONS[6][1]),
    ('two-stage (stage 2)',
     'configs/csted/synthetic/csted_tiny_two-stage_synthetic.py'),
]
PRETRAINED_TWO_STAGE = [
    ('spatial + CMAM [pt] (st. 1)', PRETRAINED_ABLATIONS[5][1]),
    ('temporal + CMAM [pt] (st. 1)', PRETRAINED_ABLATIONS[6][1]),
    ('two-stage [pt] (stage 2)',
     'configs/csted/synthetic/csted_tiny_pretrained_two-stage_synthetic.py'),
]
MAIN_KEYS = ('P@0.5', 'P@0.6', 'P@0.7', 'P@0.8', 'P@0.9', 'AP_paper', 'oIoU',
             'mIoU')
FLAG_KEYS = (('twin', 'flag/twin/mIoU'), ('not twin', 'flag/not_twin/mIoU'))


def in_repo(path: str) -> str:
    """A ``configs/...`` or ``tools/...`` path: from the working directory
    when it is there (a checkout), else from REPO (an installed package)."""
    return path if osp.exists(path) else osp.join(REPO, path)


def child_env() -> dict:
    """The environment of every training and test process (a variable the
    user set wins):

    - one torch thread: with the cores busy (data workers, the other
      pretraining, other jobs) a second thread made a CSTED iteration
      several times slower; the second core decodes and augments the data;
    - glibc's malloc keeps freed memory instead of handing large blocks back
      to the kernel: each training step otherwise faults its activations in
      again, page by page (4,000-7,000 page faults and 9-12 ms of system
      time a CSTED step of 125 ms).

    Both: docs/synthetic_benchmark.md."""
    env = dict(os.environ)
    env.setdefault('OMP_NUM_THREADS', '1')
    env.setdefault('MALLOC_MMAP_THRESHOLD_', str(32 << 20))
    env.setdefault('MALLOC_TRIM_THRESHOLD_', str(16 << 30))
    return env


def run(cmd):
    print('+', ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, env=child_env())


def run_side_by_side(chains, background_last: bool = False) -> list:
    """Run chains of ``(name, cmd, log file)`` steps, one process per core at
    a time: the steps of a chain one after the other, the chains side by
    side (a chain's next step takes the core its last step freed). With
    ``background_last``, return as soon as every chain has started its last
    step, with the jobs still running (for :func:`wait_for`)."""
    pending = [list(chain) for chain in chains if chain]
    slots = max(1, min(len(pending), os.cpu_count() or 1))
    running = []  # (job, the rest of its chain)
    while pending or running:
        while pending and len(running) < slots:
            chain = pending.pop(0)
            running.append((start(*chain[0]), chain[1:]))
        if background_last and not pending and not any(rest
                                                       for _, rest in running):
            return [job for job, _ in running]
        done = next((i for i, (job, _) in enumerate(running)
                     if job[2].poll() is not None), None)
        if done is None:
            time.sleep(0.2)
            continue
        job, rest = running.pop(done)
        wait_for(job)
        if rest:
            pending.insert(0, rest)
    return []


def start(name: str, cmd, log: str):
    """Start ``cmd`` with its output in ``log``: ``(name, log, process)``."""
    print('+', ' '.join(cmd), f'> {log}', flush=True)
    with open(log, 'w') as f:
        return name, log, subprocess.Popen(
            cmd, env=child_env(), stdout=f, stderr=subprocess.STDOUT)


def ensure_dataset(data_root: str) -> None:
    """Generate the benchmark unless present; a tree generated before the
    pretraining sets' annotation files existed gets them."""
    if osp.isfile(osp.join(data_root, 'generator_meta.json')):
        print(f'{data_root}: synthetic benchmark present')
        from tools.data.synthetic.pretrain_annotations import (
            has_pretrain_annotations, write_pretrain_annotations)
        if not has_pretrain_annotations(data_root):
            for path in write_pretrain_annotations(data_root):
                print('wrote', path)
        return
    run([
        sys.executable,
        in_repo('tools/data/synthetic/generate.py'), data_root
    ])


def last_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


DEFAULT_DATA_ROOT = 'data/synthetic_a2d'


def relocations(config: str, work_root: str, data_root: str) -> list:
    """``--cfg-options`` that move every path of the resolved config under
    ``work_dirs/`` (pretrained backbones, stage-1 encoders) to ``work_root``
    and under the default data root to ``data_root``."""
    moves = [(p, n) for p, n in (('work_dirs', work_root), (DEFAULT_DATA_ROOT,
                                                            data_root))
             if osp.normpath(n) != p]
    if not moves:
        return []
    from mmengine.config import Config
    opts = []

    def walk(node, key):
        items = (
            node.items() if isinstance(node, dict) else
            enumerate(node) if isinstance(node, (list, tuple)) else ())
        for k, v in items:
            walk(v, f'{key}.{k}' if key else str(k))
        if not isinstance(node, str):
            return
        for prefix, new in moves:
            if node == prefix or node.startswith(prefix + '/'):
                opts.append(f'{key}={new}{node[len(prefix):]}')

    walk(Config.fromfile(in_repo(config)).to_dict(), '')
    return opts


def backbone_checkpoints(config: str) -> list:
    """The ``init_cfg`` checkpoint paths of a config's encoder backbones."""
    from mmengine.config import Config
    model = Config.fromfile(in_repo(config)).model
    paths = []
    for enc in ('spatial_encoder', 'temporal_encoder'):
        init_cfg = (model.get(enc) or {}).get('backbone', {}).get('init_cfg')
        path = (init_cfg or {}).get('checkpoint')
        if isinstance(path, str):
            paths.append(path)
    return paths


def pretraining_jobs(configs, work_root: str) -> list:
    """``(pretraining config, its checkpoint under work_root)`` for every
    synthetic pretraining the configs start from: a backbone checkpoint
    ``work_dirs/<name>/epoch_<n>.pth`` with a
    ``configs/pretrain/<name>.py``."""
    jobs = []
    for config in configs:
        for path in backbone_checkpoints(config):
            parts = path.split('/')
            if len(parts) != 3 or parts[0] != 'work_dirs':
                continue
            pretrain_cfg = in_repo(osp.join(PRETRAIN_DIR, parts[1] + '.py'))
            job = (pretrain_cfg, osp.join(work_root, *parts[1:]))
            if osp.isfile(pretrain_cfg) and job not in jobs:
                jobs.append(job)
    return jobs


def pretraining_chain(cfg: str, ckpt: str, train: bool, work_root: str,
                      data_root: str) -> list:
    """The steps of one pretraining: its training (if ``train``), then its
    test on the benchmark's test videos (a report only) unless scored."""
    work_dir = osp.dirname(ckpt)
    os.makedirs(work_dir, exist_ok=True)
    relocated = with_relocations(cfg, work_root, data_root, [])
    chain = []
    if train:
        cmd = [
            sys.executable,
            in_repo('tools/train.py'), cfg, '--work-dir', work_dir
        ] + relocated
        if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
            cmd.append('--resume')
        chain.append((f'tools/train.py {cfg}', cmd,
                      osp.join(work_dir, 'train_stdout.log')))
    metrics_file = osp.join(work_dir, 'test_metrics.json')
    if not osp.isfile(metrics_file):
        cmd = [
            sys.executable,
            in_repo('tools/test.py'), cfg, ckpt, '--work-dir', work_dir,
            '--metrics-out', metrics_file
        ] + relocated
        chain.append(
            (f'tools/test.py {cfg}', cmd, osp.join(work_dir,
                                                   'test_stdout.log')))
    return chain


def pretrain_all(jobs, work_root: str, data_root: str) -> list:
    """Train the missing pretraining checkpoints and test each: one chain
    of steps per pretraining, the chains side by side (one process per
    core), each test right after its own training. Returns once every
    checkpoint is written, with the tests still running (the CSTED training
    need not wait for these reports): see :func:`report_pretraining`."""
    from mmengine.config import Config
    missing = [(cfg, ckpt) for cfg, ckpt in jobs if not osp.isfile(ckpt)]
    for cfg, ckpt in missing:
        epochs = Config.fromfile(cfg).train_cfg.max_epochs
        if osp.basename(ckpt) != f'epoch_{epochs}.pth':
            raise ValueError(f'{ckpt} is not the last checkpoint of {cfg} '
                             f'(max_epochs {epochs})')
    chains = [
        pretraining_chain(cfg, ckpt, (cfg, ckpt) in missing, work_root,
                          data_root) for cfg, ckpt in jobs
    ]
    return run_side_by_side(chains, background_last=True)


def report_pretraining(jobs, testing) -> None:
    """Wait for the pretraining tests still ``testing`` and print each
    pretraining's test accuracy."""
    for job in testing:
        wait_for(job)
    for cfg, ckpt in jobs:
        metrics_file = osp.join(osp.dirname(ckpt), 'test_metrics.json')
        with open(metrics_file) as f:
            m = json.load(f)
        # mmaction2 reports a fraction, mmpretrain a percentage
        top1 = (100 * m['acc/top1'] if 'acc/top1' in m else m['accuracy/top1'])
        print(
            f'{osp.basename(cfg)}: top-1 accuracy on the test videos '
            f'{top1:.2f} %',
            flush=True)


def wait_for(job) -> None:
    name, log, proc = job
    if proc.wait() != 0:
        raise subprocess.CalledProcessError(proc.returncode,
                                            f'{name} (log: {log})')
    print(f'done: {name}', flush=True)


def with_cfg_options(extra, opts) -> list:
    """``extra`` (train.py / test.py options) with ``opts`` added to its
    one ``--cfg-options`` list (a second ``--cfg-options`` would replace
    the first)."""
    extra = list(extra)
    if opts:
        if '--cfg-options' in extra:
            i = extra.index('--cfg-options') + 1
            extra[i:i] = opts
        else:
            extra += ['--cfg-options'] + opts
    return extra


def with_relocations(config: str, work_root: str, data_root: str,
                     extra) -> list:
    """``extra`` with :func:`relocations` added."""
    return with_cfg_options(extra, relocations(config, work_root, data_root))


def no_validation(config: str) -> list:
    """``--cfg-options`` that skip the validation during training: the
    synthetic configs validate on the test split, which tools/test.py scores
    right after training; validating would repeat that (and an earlier
    epoch's score is read by nobody)."""
    from mmengine.config import Config
    max_epochs = Config.fromfile(config).train_cfg.max_epochs
    return [f'train_cfg.val_begin={max_epochs + 1}']


def train_and_test(config: str, work_dir: str, data_root: str, extra) -> dict:
    work_root = osp.dirname(work_dir)
    extra = with_relocations(config, work_root, data_root, extra)
    config = in_repo(config)
    train = [
        sys.executable,
        in_repo('tools/train.py'), config, '--work-dir', work_dir
    ]
    if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        train.append('--resume')  # finishes an interrupted run, or no-op
    t0 = time.time()
    run(with_cfg_options(train + list(extra), no_validation(config)))
    train_s = time.time() - t0
    ckpt = last_checkpoint(work_dir)
    results = osp.join(work_dir, 'test_results.json')
    metrics_file = osp.join(work_dir, 'test_metrics.json')
    run([
        sys.executable,
        in_repo('tools/test.py'), config, ckpt, '--work-dir', work_dir,
        '--out', results, '--metrics-out', metrics_file
    ] + list(extra))
    with open(metrics_file) as f:
        metrics = json.load(f)
    metrics['train_wall_s'] = train_s
    metrics['checkpoint'] = ckpt
    return metrics


def publish(ckpt: str, name: str) -> str:
    """Strip the checkpoint (publish_model.py names it with its hash) and
    link it as ``checkpoints/<name>.pth``, the zoo entry's local weights."""
    stem = osp.join('checkpoints', name)
    for old in glob.glob(stem + '-*.pth'):
        os.remove(old)
    run([
        sys.executable,
        in_repo('tools/model_converters/publish_model.py'), ckpt, stem
    ])
    (hashed, ) = glob.glob(stem + '-*.pth')
    stable = stem + '.pth'
    if osp.exists(stable):
        os.remove(stable)
    os.link(hashed, stable)
    return stable


def print_table(rows) -> None:
    """The metrics of every row; twin queries (the target has an
    identical-looking twin doing another action: only the motion tells
    them apart) and the others apart."""
    head = f'{"model":<30}' + ''.join(f'{k:>9}' for k in MAIN_KEYS) + \
        ''.join(f'{k + " mIoU":>15}' for k, _ in FLAG_KEYS) + f'{"train s":>9}'
    print('\n' + head + '\n' + '-' * len(head))
    for name, m in rows:
        print(f'{name:<30}' + ''.join(f'{m[k]:>9.1f}' for k in MAIN_KEYS) +
              ''.join(f'{m.get(key, float("nan")):>15.1f}'
                      for _, key in FLAG_KEYS) + f'{m["train_wall_s"]:>9.0f}')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument(
        '--data-root',
        default=DEFAULT_DATA_ROOT,
        help='where the benchmark is generated and read from (every step)')
    parser.add_argument('--work-root', default='work_dirs')
    parser.add_argument(
        '--ablations',
        action='store_true',
        help='train and test the Table 3a rows')
    parser.add_argument(
        '--pretrained',
        action='store_true',
        help='pretrain the encoders in the synthetic world first and run '
        'the rows from those weights')
    parser.add_argument(
        '--two-stage',
        action='store_true',
        help="the paper's two-stage recipe (stage 1: each encoder with its "
        'CMAMs; stage 2: both frozen, a fresh joint decoder)')
    parser.add_argument(
        '--from-scratch',
        action='store_true',
        help='the full model from random weights (the former default)')
    parser.add_argument('--no-publish', action='store_true')
    parser.add_argument(
        'extra',
        nargs=argparse.REMAINDER,
        help='passed to train.py and test.py after "--"')
    return parser.parse_args()


def selected_rows(args) -> list:
    """(name, config) of the rows the flags ask for."""
    if args.two_stage:
        return PRETRAINED_TWO_STAGE if args.pretrained else TWO_STAGE
    if args.ablations:
        return PRETRAINED_ABLATIONS if args.pretrained else ABLATIONS
    if args.pretrained:
        return [('CSTED [pt]', PRETRAINED_ABLATIONS[4][1])]
    if args.from_scratch:
        return [('CSTED (from scratch)', SCRATCH_CONFIG)]
    name = 'CSTED' if args.config == DEFAULT_CONFIG else osp.basename(
        args.config)
    return [(name, args.config)]


def main():
    from mmcsted.utils import install_stack_workarounds
    from mmcsted.utils.atomic_write import atomic_write_json
    install_stack_workarounds()  # the configs read here inherit mmaction::
    args = parse_args()
    extra = [a for a in args.extra if a != '--']
    if not INSTALLED:
        os.chdir(REPO)
    ensure_dataset(args.data_root)
    rows = selected_rows(args)
    jobs = pretraining_jobs([c for _, c in rows], args.work_root)
    testing = pretrain_all(jobs, args.work_root, args.data_root)
    results = []
    for name, config in rows:
        stem = osp.splitext(osp.basename(config))[0]
        metrics = train_and_test(config, osp.join(args.work_root, stem),
                                 args.data_root, extra)
        results.append((name, metrics))
        if not args.no_publish and config in (DEFAULT_CONFIG, SCRATCH_CONFIG):
            print('published', publish(metrics['checkpoint'], stem))
    report_pretraining(jobs, testing)
    print_table(results)
    suffix = ('_pretrained' if args.pretrained else
              '') + ('_two-stage' if args.two_stage else '')
    summary = osp.join(args.work_root, f'synthetic_benchmark{suffix}.json')
    atomic_write_json({name: m for name, m in results}, summary, indent=1)
    print(f'\nmetrics of every row: {summary}')


if __name__ == '__main__':
    main()
