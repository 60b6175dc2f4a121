"""Throughput of a config's data pipeline (decode + transforms) in one process.

    python tools/analysis_tools/benchmark_data.py CONFIG [--split train|test]
        [--num-samples 200] [--warmup 10]

Prints samples/s and frames/s of one worker (one process, no DataLoader), so
that a user can tell whether training is input-bound: with N workers the loader
delivers about N times this, to compare with the model's clips/s from
benchmark.py.
"""
import argparse
import time

from mmengine.config import Config, DictAction

from mmcsted.registry import DATASETS
from mmcsted.utils import register_all_modules


def pipeline_throughput(dataset, num_samples: int, warmup: int = 10):
    """(samples/s, frames/s, seconds) over ``num_samples`` samples."""
    n = min(num_samples, len(dataset))
    for i in range(min(warmup, n)):
        dataset[i]
    frames = 0
    t0 = time.perf_counter()
    for i in range(n):
        data = dataset[i]
        frames += data['inputs'].shape[1]  # (C, T, H, W)
    seconds = time.perf_counter() - t0
    return n / seconds, frames / seconds, seconds


def main():
    parser = argparse.ArgumentParser(description='data pipeline throughput')
    parser.add_argument('config')
    parser.add_argument('--split', choices=['train', 'test'], default='train')
    parser.add_argument('--num-samples', type=int, default=200)
    parser.add_argument('--warmup', type=int, default=10)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    loader = cfg.train_dataloader if args.split == 'train' \
        else cfg.test_dataloader
    dataset = DATASETS.build(loader.dataset)
    sps, fps, seconds = pipeline_throughput(dataset, args.num_samples,
                                            args.warmup)
    print(f'{args.config} [{args.split}]: {sps:.1f} samples/s, '
          f'{fps:.1f} frames/s per worker ({args.num_samples} samples in '
          f'{seconds:.1f} s)')


if __name__ == '__main__':
    main()
