"""Train a CSTED model: ``python tools/train.py CONFIG [options]``.

Multi-GPU / multi-node: ``bash tools/dist_train.sh CONFIG GPUS`` (torchrun).
``--resume`` without a path resumes from the newest checkpoint of the work dir
that loads: one truncated by a killed run is skipped, with a warning.
"""
import argparse
import contextlib
import logging
import os
import os.path as osp
import re
import sys
from typing import List, Optional, Tuple

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

# run as a script: the folder holding tools/ (a checkout, or an installed
# mmcsted/.mim) goes on the path for the modules tools share (tools.misc.*)
if __name__ == '__main__':
    sys.path.insert(0, osp.abspath(__file__ + '/../..'))

from mmcsted.utils import register_all_modules
from mmcsted.utils.checkpoint import load_local
from tools.misc.launch import setup_cpu_distributed, shutdown_distributed
from tools.misc.preflight import check_data_before_run, read_config
from tools.misc.work_dir_lock import (WorkDirBusyError, hold_work_dir,
                                      launching_rank)


def set_amp(cfg) -> None:
    """``--amp``: mmengine's AmpOptimWrapper on a GPU, bf16 where the GPU
    has it (no loss scaling) else fp16; on the CPU, where AmpOptimWrapper
    does not run, bf16 autocast by mmcsted's BF16OptimWrapper."""
    import torch
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper not in ('OptimWrapper', 'AmpOptimWrapper', 'BF16OptimWrapper'):
        raise ValueError(f'--amp does not work with {wrapper}')
    if not torch.cuda.is_available():
        cfg.optim_wrapper.type = 'BF16OptimWrapper'
        return
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    if torch.cuda.is_bf16_supported():
        cfg.optim_wrapper.setdefault('dtype', 'bfloat16')
    else:
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')


def parse_args():
    parser = argparse.ArgumentParser(description='Train a CSTED model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or with no value from the newest '
        'checkpoint in the work dir that loads')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision: bf16 autocast on the CPU or on a GPU with '
        'bf16, else fp16 with loss scaling')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by total batch size / auto_scale_lr.base_batch_size'
    )
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument(
        '--diff-rank-seed',
        action='store_true',
        help='a different seed on each rank')
    parser.add_argument(
        '--deterministic',
        action='store_true',
        help='deterministic algorithms (cuDNN and torch)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, xxx=yyy (e.g. '
        'train_dataloader.batch_size=4)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg: Config, args) -> Config:
    # --cfg-options first (as mmaction2's train.py): the flags below win,
    # and --no-validate can drop a val_dataloader that an option edited
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        if cfg.get('default_hooks', {}).get('checkpoint'):
            cfg.default_hooks.checkpoint.pop('save_best', None)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        set_amp(cfg)
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    randomness = dict(cfg.get('randomness') or {})
    if args.seed is not None:
        randomness['seed'] = args.seed
    if args.diff_rank_seed:
        randomness['diff_rank_seed'] = True
    if args.deterministic:
        randomness['deterministic'] = True
    cfg.randomness = randomness
    return cfg


_RESUMABLE_NAME = re.compile(r'(?:epoch|iter)_(\d+)\.pth$')


def find_resumable_checkpoint(
        work_dir: str) -> Tuple[Optional[str], List[Tuple[str, str]]]:
    """The newest checkpoint of a work dir that loads, for auto-resume.

    Candidates, newest first: the one ``last_checkpoint`` names (looked up in
    ``work_dir`` by name if the recorded path is gone, e.g. a moved work
    dir), then ``epoch_N.pth`` / ``iter_N.pth`` by decreasing N. Each is loaded
    (safely) and must hold a ``state_dict`` and ``meta``; a truncated or
    otherwise broken one is skipped. Returns ``(path or None, skipped)`` with
    ``skipped`` the ``(path, reason)`` of each candidate passed over; the path
    is None only when there is no candidate at all (a fresh work dir). When
    there are candidates and none loads, a ``RuntimeError`` lists them.
    """
    candidates = []
    last = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as f:
            recorded = f.read().strip()
        if recorded:
            if not osp.isfile(recorded) and osp.isfile(
                    osp.join(work_dir, osp.basename(recorded))):
                recorded = osp.join(work_dir, osp.basename(recorded))
            candidates.append(recorded)
    numbered = []
    if osp.isdir(work_dir):
        for name in os.listdir(work_dir):
            match = _RESUMABLE_NAME.fullmatch(name)
            if match:
                numbered.append((int(match.group(1)), name))
    for _, name in sorted(numbered, reverse=True):
        path = osp.join(work_dir, name)
        if not any(osp.abspath(path) == osp.abspath(c) for c in candidates):
            candidates.append(path)
    skipped = []
    for path in candidates:
        try:
            checkpoint = load_local(path, map_location='cpu')
            if not isinstance(checkpoint, dict) or not {'state_dict', 'meta'
                                                        } <= set(checkpoint):
                raise ValueError('not a training checkpoint (no state_dict '
                                 'and meta)')
        except Exception as err:  # noqa: B902  any failure: try an older one
            reason = str(err).strip().splitlines()[0] if str(err) else \
                type(err).__name__
            skipped.append((path, f'{type(err).__name__}: {reason[:300]}'))
            continue
        return path, skipped
    if skipped:
        raise RuntimeError(
            f'no checkpoint in {work_dir} can be resumed from:\n' +
            '\n'.join(f'  {p}: {why}' for p, why in skipped) +
            '\nremove the broken files, or train afresh without --resume')
    return None, skipped


def resolve_auto_resume(cfg: Config) -> List[Tuple[int, str]]:
    """``--resume`` without a path: set ``cfg.load_from`` to the newest
    loadable checkpoint of the work dir (mmengine would take the one
    ``last_checkpoint`` names, even if a killed run left it truncated), or
    train afresh when the work dir has none. Raises if checkpoints are there
    but none loads. Returns the ``(level, message)`` lines to log."""
    path, skipped = find_resumable_checkpoint(cfg.work_dir)
    lines = [(logging.WARNING, f'--resume: skipped {p}: {why}')
             for p, why in skipped]
    if path is None:
        cfg.resume = False
        lines.append((logging.INFO, f'--resume: no checkpoint in '
                      f'{cfg.work_dir}; training starts afresh'))
    else:
        cfg.load_from = path
        lines.append((logging.INFO, f'--resume: resuming from {path}'))
    return lines


def main():
    args = parse_args()
    register_all_modules()
    cfg = merge_args(read_config(args.config, 'tools/train.py'), args)
    # before the runner dumps the config: a missing data tree is one line
    try:
        check_data_before_run(cfg, ('train', 'val'), 'tools/train.py')
    except FileNotFoundError as e:
        sys.exit(str(e))
    if (args.resume not in (None, 'auto') and '://' not in args.resume
            and not osp.isfile(args.resume)):
        sys.exit(f'tools/train.py: --resume: checkpoint not found: '
                 f'{args.resume}')
    # one run per work dir (the launching rank holds it for the whole run)
    holder = (
        hold_work_dir(cfg.work_dir)
        if launching_rank(args.launcher) else contextlib.nullcontext())
    try:
        with holder:
            resume_log = (
                resolve_auto_resume(cfg) if args.resume == 'auto' else [])
            setup_cpu_distributed(cfg, args.launcher)
            runner = Runner.from_cfg(cfg)
            for level, line in resume_log:
                runner.logger.log(level, line)
            runner.train()
            shutdown_distributed()
    except WorkDirBusyError as e:
        sys.exit(f'tools/train.py: {e}')


if __name__ == '__main__':
    main()
