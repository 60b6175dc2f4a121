"""Test a CSTED checkpoint: ``python tools/test.py CONFIG CHECKPOINT``.

Multi-GPU / multi-node: ``bash tools/dist_test.sh CONFIG CHECKPOINT GPUS``.
CHECKPOINT is a path, a URL, or a model-zoo name (configs/csted/metafile.yml).
A checkpoint that does not fit the config (missing, unexpected or reshaped
weights) is an error unless ``--allow-mismatch`` is given.

Challenge submissions (Ref-YouTube-VOS valid, MeViS valid: no ground truth,
scored online): ``--format-only --out-dir DIR`` has the config's ``JFMetric``
write one 0/255 PNG per listed frame under DIR and zip them to
DIR/submission.zip in the layout of the config's ``submission_layout``; the
same as ``--cfg-options test_evaluator.format_only=True
test_evaluator.output_dir=DIR``. ``--out-dir`` alone keeps the PNGs of a
scored split (e.g. MeViS valid_u). With several processes DIR must be on a
filesystem they all share.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint

# run as a script: the folder holding tools/ (a checkout, or an installed
# mmcsted/.mim) goes on the path for the modules tools share (tools.misc.*)
if __name__ == '__main__':
    sys.path.insert(0, osp.abspath(__file__ + '/../..'))

from mmcsted.utils import register_all_modules
from mmcsted.utils.checkpoint import (CheckpointDownloadError,
                                      CheckpointHashError,
                                      CheckpointMismatchError,
                                      check_checkpoint_fits)
from tools.misc.launch import setup_cpu_distributed, shutdown_distributed
from tools.misc.preflight import check_data_before_run, read_config


def parse_args():
    parser = argparse.ArgumentParser(description='Test a CSTED model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint path, URL or zoo name')
    parser.add_argument('--work-dir', help='where logs and metrics go')
    parser.add_argument(
        '--out',
        help='dump the per-sample results (I, U, IoU per sample) to '
        'this .json or .csv file')
    parser.add_argument(
        '--metrics-out', help='write the metrics dict to this JSON file')
    parser.add_argument(
        '--format-only',
        action='store_true',
        help='score nothing: write the challenge submission (PNGs and '
        'zip, JFMetric) to --out-dir')
    parser.add_argument(
        '--out-dir',
        help='write the predictions as submission PNGs and a zip here '
        '(JFMetric; with or without --format-only)')
    parser.add_argument(
        '--show-dir',
        help='write overlays of prediction vs ground truth '
        'under WORK_DIR/TIMESTAMP/SHOW_DIR')
    parser.add_argument(
        '--show', action='store_true', help='show the overlays in a window')
    parser.add_argument(
        '--interval',
        type=int,
        default=1,
        help='draw every INTERVAL-th sample with --show-dir')
    parser.add_argument(
        '--allow-mismatch',
        action='store_true',
        help='test even if the checkpoint does not fit the config (weights '
        'missing, unexpected or of another shape); without it that is an '
        'error')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, xxx=yyy')
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
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.show or args.show_dir:
        hook = cfg.default_hooks.get('visualization')
        if hook is None:
            raise ValueError('--show/--show-dir need the visualization hook '
                             'in default_hooks')
        hook.draw = True
        hook.interval = args.interval
        hook.show = args.show
        if args.show_dir:
            hook.test_out_dir = args.show_dir
    if args.out is not None:
        evaluators = cfg.test_evaluator if isinstance(
            cfg.test_evaluator, (list, tuple)) else [cfg.test_evaluator]
        for evaluator in evaluators:
            if evaluator.get('type') in ('ReferSegMetric',
                                         'mmcsted.ReferSegMetric'):
                evaluator.out_file_path = args.out
    if args.format_only or args.out_dir:
        set_submission_output(cfg, args.format_only, args.out_dir)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    check_submission_output(cfg)
    return cfg


def _jf_metrics(cfg: Config) -> list:
    evaluators = cfg.get('test_evaluator') or []
    if not isinstance(evaluators, (list, tuple)):
        evaluators = [evaluators]
    return [
        e for e in evaluators
        if e.get('type') in ('JFMetric', 'mmcsted.JFMetric')
    ]


def set_submission_output(cfg: Config, format_only: bool, out_dir) -> None:
    """``--format-only`` / ``--out-dir`` on the test evaluator's
    ``JFMetric``."""
    jf_metrics = _jf_metrics(cfg)
    if not jf_metrics:
        raise SystemExit('error: --format-only/--out-dir write the '
                         'submission of JFMetric; test_evaluator has none')
    for metric in jf_metrics:
        if out_dir:
            metric.output_dir = out_dir
        if format_only:
            metric.format_only = True


def check_submission_output(cfg: Config) -> None:
    """One line instead of a traceback from inside the runner: a JFMetric
    asked for a submission needs a folder and a layout."""
    for metric in _jf_metrics(cfg):
        if metric.get('format_only') and not metric.get('output_dir'):
            raise SystemExit('error: --format-only needs --out-dir (where '
                             'the submission is written)')
        if metric.get('output_dir') and not metric.get('submission_layout'):
            raise SystemExit('error: the config\'s JFMetric has no '
                             'submission_layout (ref_youtube_vos or mevis); '
                             '--cfg-options '
                             'test_evaluator.submission_layout=... sets it')


def check_fits(runner: Runner,
               filename: str,
               config: str,
               allow_mismatch: bool = False) -> None:
    """Before the runner loads ``filename`` (``load_from``): a checkpoint that
    does not fit the model is a ``SystemExit`` with the counts and a few keys,
    unless ``allow_mismatch``, instead of one line per reshaped weight and
    metrics of a half-loaded model."""
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    try:
        check_checkpoint_fits(model,
                              _load_checkpoint(filename, map_location='cpu'),
                              filename, config, allow_mismatch)
    except CheckpointMismatchError as e:
        raise SystemExit(f'error: {e}')


def main():
    args = parse_args()
    register_all_modules()
    cfg = merge_args(read_config(args.config, 'tools/test.py'), args)
    from mmcsted.apis.inference import vocab_from_checkpoint_if_missing
    from mmcsted.apis.model_zoo import resolve_checkpoint

    # The words the model was trained with are in the checkpoint: a missing
    # vocabulary file (e.g. testing a downloaded model) is not an error.
    vocab_from_checkpoint_if_missing(cfg.model)
    # before a checkpoint download and the runner's config dump: a missing
    # data tree is one line
    try:
        check_data_before_run(cfg, ('test', ), 'tools/test.py')
    except FileNotFoundError as e:
        sys.exit(str(e))
    try:
        checkpoint = resolve_checkpoint(args.checkpoint)
    except (FileNotFoundError, CheckpointDownloadError,
            CheckpointHashError) as e:
        sys.exit(f'tools/test.py: {e}')
    cfg.load_from = checkpoint
    setup_cpu_distributed(cfg, args.launcher)
    runner = Runner.from_cfg(cfg)
    check_fits(runner, checkpoint, args.config, args.allow_mismatch)
    metrics = runner.test()
    if args.metrics_out and runner.rank == 0:
        import json
        with open(args.metrics_out, 'w') as f:
            json.dump(metrics, f, indent=1)
    shutdown_distributed()


if __name__ == '__main__':
    main()
