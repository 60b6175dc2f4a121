"""The main job on the built-in default, in one command:

    python tools/run_synthetic_benchmark.py

1. generates the synthetic A2D-format benchmark into ``data/synthetic_a2d`` if it
   is not there (tools/data/synthetic/generate.py);
2. trains the config (default: configs/csted/synthetic/csted_tiny_synthetic.py)
   with tools/train.py, resuming an interrupted run;
3. tests the last checkpoint with tools/test.py (per-sample results in the work
   dir) and prints the metric table;
4. publishes the weights (optimizer state stripped) to
   ``checkpoints/<config name>.pth``, the model-zoo entry the demo uses.

``--ablations`` does this for the Table 3a rows (spatial only, temporal only,
both + concat, + LGFS, + CMAM) and for the two single encoders with their
CMAMs, and prints them as one table.

``--pretrained`` first pretrains the encoders in the synthetic world (issue
11: the paper's start from ImageNet and Kinetics-400): Synthetic ImageNet for
the 2D backbone, Synthetic Kinetics for the 3D one (configs/pretrain/, train
videos only; skipped where ``<work-root>/<name>/epoch_<max_epochs>.pth``
exists, resumed where interrupted; their accuracy on the test videos is
printed), then runs the same rows from those weights (``*pretrained*``
configs).

``--two-stage`` runs the paper's two-stage recipe: stage 1 = the two single
encoders with their CMAMs (from scratch, or pretrained with ``--pretrained``),
stage 2 = both loaded and frozen, a fresh joint decoder with LGFS.

Checkpoint paths in the configs (``work_dirs/...``) follow ``--work-root``.
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
DEFAULT_CONFIG = 'configs/csted/synthetic/csted_tiny_synthetic.py'
ABLATIONS = [
    ('spatial only', 'configs/csted/synthetic/'
     'csted_tiny_spatial-only_synthetic.py'),
    ('temporal only', 'configs/csted/synthetic/'
     'csted_tiny_temporal-only_synthetic.py'),
    ('both + concat', 'configs/csted/synthetic/'
     'csted_tiny_no-cmam_concat_synthetic.py'),
    ('+ LGFS', 'configs/csted/synthetic/csted_tiny_no-cmam_lgfs_synthetic.py'),
    ('+ CMAM (full CSTED)', DEFAULT_CONFIG),
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
     'csted_tiny_pretrained_synthetic.py'),
    ('spatial + CMAM [pt]', 'configs/csted/synthetic/'
     'csted_tiny_pretrained_spatial-only-cmam_synthetic.py'),
    ('temporal + CMAM [pt]', 'configs/csted/synthetic/'
     'csted_tiny_pretrained_temporal-only-cmam_synthetic.py'),
    ('full, 3D only [pt]', 'configs/csted/synthetic/'
     'csted_tiny_pretrained-3d_synthetic.py'),
]
# (name, config) of the synthetic pretraining
PRETRAINING = [
    ('Synthetic ImageNet (2D)',
     'configs/pretrain/synthetic_imagenet_r18_tiny.py'),
    ('Synthetic Kinetics (3D)',
     'configs/pretrain/synthetic_kinetics_r3d18_tiny.py'),
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


def run(cmd):
    print('+', ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=REPO)


def ensure_dataset(data_root: str) -> None:
    if osp.isfile(osp.join(data_root, 'generator_meta.json')):
        print(f'{data_root}: synthetic benchmark present')
        return
    run([sys.executable, 'tools/data/synthetic/generate.py', data_root])


def last_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def checkpoint_overrides(config: str, work_root: str) -> list:
    """``--cfg-options`` that move the config's ``work_dirs/...`` checkpoint
    paths (pretrained backbones, stage-1 encoders) under ``work_root``."""
    if osp.normpath(work_root) == 'work_dirs':
        return []
    from mmengine.config import Config
    model = Config.fromfile(config).model
    opts = []
    for enc in ('spatial_encoder', 'temporal_encoder'):
        if not model.get(enc):
            continue
        for where, node in ((f'model.{enc}.init_cfg', model[enc].get(
                'init_cfg')), (f'model.{enc}.backbone.init_cfg',
                               model[enc].backbone.get('init_cfg'))):
            path = (node or {}).get('checkpoint', '')
            if isinstance(path, str) and path.startswith('work_dirs/'):
                new = osp.join(work_root, path[len('work_dirs/'):])
                opts.append(f'{where}.checkpoint={new}')
    return opts


def pretrain(config: str, work_dir: str) -> dict:
    """Train a synthetic pretraining config unless its last checkpoint
    (``epoch_<max_epochs>.pth``, which the CSTED configs load) exists; test
    it on the benchmark's test videos (a report only)."""
    from mmengine.config import Config
    last = f'epoch_{Config.fromfile(config).train_cfg.max_epochs}.pth'
    ckpt = osp.join(work_dir, last)
    if not osp.isfile(ckpt):
        train = [sys.executable, 'tools/train.py', config, '--work-dir',
                 work_dir]
        if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
            train.append('--resume')
        run(train)
    metrics_file = osp.join(work_dir, 'test_metrics.json')
    run([sys.executable, 'tools/test.py', config, ckpt, '--work-dir',
         work_dir, '--metrics-out', metrics_file])
    with open(metrics_file) as f:
        return json.load(f)


def train_and_test(config: str, work_dir: str, extra) -> dict:
    work_root = osp.dirname(work_dir)
    extra = list(extra)
    moved = checkpoint_overrides(config, work_root)
    if moved:  # train.py and test.py take one --cfg-options list
        if '--cfg-options' in extra:
            i = extra.index('--cfg-options') + 1
            extra[i:i] = moved
        else:
            extra += ['--cfg-options'] + moved
    train = [sys.executable, 'tools/train.py', config, '--work-dir', work_dir]
    if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        train.append('--resume')  # finishes an interrupted run, or no-op
    t0 = time.time()
    run(train + list(extra))
    train_s = time.time() - t0
    ckpt = last_checkpoint(work_dir)
    results = osp.join(work_dir, 'test_results.json')
    metrics_file = osp.join(work_dir, 'test_metrics.json')
    run([
        sys.executable, 'tools/test.py', config, ckpt, '--work-dir', work_dir,
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
        sys.executable, 'tools/model_converters/publish_model.py', ckpt, stem
    ])
    (hashed, ) = glob.glob(stem + '-*.pth')
    stable = stem + '.pth'
    if osp.exists(stable):
        os.remove(stable)
    os.link(hashed, stable)
    return stable


def print_table(rows) -> None:
    head = f'{"model":<30}' + ''.join(f'{k:>9}' for k in MAIN_KEYS) + \
        f'{"twin mIoU":>11}{"train s":>9}'
    print('\n' + head + '\n' + '-' * len(head))
    for name, m in rows:
        twin = m.get('flag/twin/mIoU', float('nan'))
        print(f'{name:<30}' + ''.join(f'{m[k]:>9.1f}' for k in MAIN_KEYS) +
              f'{twin:>11.1f}{m["train_wall_s"]:>9.0f}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--data-root', default='data/synthetic_a2d')
    parser.add_argument('--work-root', default='work_dirs')
    parser.add_argument('--ablations', action='store_true',
                        help='train and test the Table 3a rows')
    parser.add_argument(
        '--pretrained', action='store_true',
        help='pretrain the encoders in the synthetic world first and run '
        'the rows from those weights')
    parser.add_argument(
        '--two-stage', action='store_true',
        help="the paper's two-stage recipe (stage 1: each encoder with its "
        'CMAMs; stage 2: both frozen, a fresh joint decoder)')
    parser.add_argument('--no-publish', action='store_true')
    parser.add_argument('extra', nargs=argparse.REMAINDER,
                        help='passed to train.py and test.py after "--"')
    args = parser.parse_args()
    extra = [a for a in args.extra if a != '--']
    os.chdir(REPO)
    ensure_dataset(args.data_root)
    if args.pretrained:
        for name, config in PRETRAINING:
            stem = osp.splitext(osp.basename(config))[0]
            m = pretrain(config, osp.join(args.work_root, stem))
            top1 = m.get('acc/top1', m.get('accuracy/top1'))
            print(f'{name}: top-1 accuracy on the test videos {top1}')
    if args.two_stage:
        rows = PRETRAINED_TWO_STAGE if args.pretrained else TWO_STAGE
    elif args.pretrained:
        rows = PRETRAINED_ABLATIONS if args.ablations else [
            ('CSTED [pt]', PRETRAINED_ABLATIONS[4][1])
        ]
    else:
        rows = ABLATIONS if args.ablations else [('CSTED', args.config)]
    results = []
    for name, config in rows:
        stem = osp.splitext(osp.basename(config))[0]
        metrics = train_and_test(config, osp.join(args.work_root, stem),
                                 extra)
        results.append((name, metrics))
        if not args.no_publish and config == DEFAULT_CONFIG:
            print('published', publish(metrics['checkpoint'], stem))
    print_table(results)
    suffix = ('_pretrained' if args.pretrained else '') + (
        '_two-stage' if args.two_stage else '')
    summary = osp.join(args.work_root, f'synthetic_benchmark{suffix}.json')
    with open(summary, 'w') as f:
        json.dump({name: m for name, m in results}, f, indent=1)
    print(f'\nmetrics of every row: {summary}')


if __name__ == '__main__':
    main()
