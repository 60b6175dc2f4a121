"""The cost and speed tools run (CI-sized: a tiny config, few iterations);
they are not timed here."""
import os.path as osp
import subprocess
import sys

import pytest

from mmcsted.datasets import synthetic
from mmcsted.registry import DATASETS
from mmcsted.utils.complexity import model_complexity
from ..test_models.utils import build_tiny

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(REPO, 'tools', 'analysis_tools')
TINY = 'configs/csted/synthetic/csted_tiny_synthetic.py'


def test_complexity_split_adds_up():
    model = build_tiny()
    result = model_complexity(model, 8, 64, 64)
    split = result['split']
    assert set(split) == {
        'spatial encoder (backbone)', 'spatial CMAM',
        'temporal encoder (backbone)', 'temporal CMAM', 'text encoders',
        'decoder'
    }
    assert sum(p for _, p in split.values()) == result['params']
    # every FLOP belongs to one component (the GRU is not counted by mmengine)
    assert sum(f for f, _ in split.values()) == result['flops'] > 0
    # convolutions dominate: twice the side, about four times the FLOPs
    larger = model_complexity(model, 8, 128, 128)
    assert 3.9 < larger['flops'] / result['flops'] < 4.1
    assert larger['params'] == result['params']


def test_get_flops_and_benchmark_cli():
    out = subprocess.run(
        [sys.executable, osp.join(TOOLS, 'get_flops.py'), TINY, '--shape',
         '8', '64', '64'], cwd=REPO, capture_output=True, text=True,
        check=True).stdout
    assert 'total' in out and 'decoder' in out
    out = subprocess.run(
        [sys.executable, osp.join(TOOLS, 'benchmark.py'), TINY, '--shape',
         '8', '32', '32', '--batch-size', '2', '--warmup', '1', '--iters',
         '2', '--device', 'cpu'], cwd=REPO, capture_output=True, text=True,
        check=True).stdout
    for key in ('infer', 'infer_backbones', 'train', 'train_backbones',
                'full / backbones'):
        assert key in out


def test_data_pipeline_throughput(tmp_path):
    sys.path.insert(0, TOOLS)
    try:
        from benchmark_data import pipeline_throughput
    finally:
        sys.path.remove(TOOLS)
    root = str(tmp_path / 'syn')
    synthetic.generate(root, num_videos=6, height=32, width=40, num_frames=12)
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, TINY))
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.data_root = root
    dataset = DATASETS.build(ds_cfg)
    sps, fps, _ = pipeline_throughput(dataset, 4, warmup=1)
    assert sps > 0 and fps == pytest.approx(sps * 8)  # 8 frames a clip
