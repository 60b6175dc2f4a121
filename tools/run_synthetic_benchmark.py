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


def train_and_test(config: str, work_dir: str, extra) -> dict:
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
    head = f'{"model":<24}' + ''.join(f'{k:>9}' for k in MAIN_KEYS) + \
        f'{"twin mIoU":>11}{"train s":>9}'
    print('\n' + head + '\n' + '-' * len(head))
    for name, m in rows:
        twin = m.get('flag/twin/mIoU', float('nan'))
        print(f'{name:<24}' + ''.join(f'{m[k]:>9.1f}' for k in MAIN_KEYS) +
              f'{twin:>11.1f}{m["train_wall_s"]:>9.0f}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--data-root', default='data/synthetic_a2d')
    parser.add_argument('--work-root', default='work_dirs')
    parser.add_argument('--ablations', action='store_true',
                        help='train and test the Table 3a rows')
    parser.add_argument('--no-publish', action='store_true')
    parser.add_argument('extra', nargs=argparse.REMAINDER,
                        help='passed to train.py and test.py after "--"')
    args = parser.parse_args()
    extra = [a for a in args.extra if a != '--']
    os.chdir(REPO)
    ensure_dataset(args.data_root)
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
    summary = osp.join(args.work_root, 'synthetic_benchmark.json')
    with open(summary, 'w') as f:
        json.dump({name: m for name, m in results}, f, indent=1)
    print(f'\nmetrics of every row: {summary}')


if __name__ == '__main__':
    main()
