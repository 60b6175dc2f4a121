r"""Write the resolved parts of configs that matter for training to one JSON.

Used to check that a refactoring of the config files (inheritance, bases)
leaves what they build unchanged:

    python tools/misc/dump_resolved_configs.py before.json \
        configs/csted/synthetic/*.py
    # ... change the configs ...
    python tools/misc/dump_resolved_configs.py after.json \
        configs/csted/synthetic/*.py
    python tools/misc/dump_resolved_configs.py --compare before.json after.json
"""
import argparse
import json
import sys

# the keys that decide what is built, trained and evaluated, and the runtime
# (hooks, seed, logging, visualizer) that decides how a run is kept
KEYS = ('model', 'train_dataloader', 'val_dataloader', 'test_dataloader',
        'val_evaluator', 'test_evaluator', 'optim_wrapper', 'param_scheduler',
        'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr', 'default_scope',
        'custom_imports', 'default_hooks', 'custom_hooks', 'env_cfg',
        'log_processor', 'visualizer', 'log_level', 'load_from', 'resume',
        'randomness')


def resolve(path: str) -> dict:
    from mmengine.config import Config

    from mmcsted.utils import install_stack_workarounds
    install_stack_workarounds()  # mmaction:: bases
    cfg = Config.fromfile(path)
    return {k: cfg.to_dict().get(k) for k in KEYS}


def diff(a, b, where=''):
    """Differences of two JSON values as ``(path, a, b)`` (dict order
    ignored)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += diff(
                a.get(k, '<absent>'), b.get(k, '<absent>'), f'{where}.{k}')
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, f'{where}[{i}]')
        return out
    return [] if a == b else [(where, a, b)]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--compare',
        action='store_true',
        help='compare two dumps instead of writing one')
    parser.add_argument('out')
    parser.add_argument('configs', nargs='+')
    args = parser.parse_args()
    if args.compare:
        with open(args.out) as f:
            before = json.load(f)
        with open(args.configs[0]) as f:
            after = json.load(f)
        found = diff(before, after)
        for where, a, b in found:
            print(f'{where}: {a!r} -> {b!r}')
        print(f'{len(before)} / {len(after)} configs, {len(found)} '
              'differences')
        sys.exit(1 if found else 0)
    # tuples and lists print alike in JSON; the comparison is of values
    dumped = {path: resolve(path) for path in args.configs}
    from mmcsted.utils.atomic_write import atomic_write
    with atomic_write(args.out, 'w') as f:
        json.dump(dumped, f, indent=1, sort_keys=True, default=repr)


if __name__ == '__main__':
    main()
