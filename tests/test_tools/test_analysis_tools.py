"""The cost and speed tools run (CI-sized: a tiny config, few iterations);
they are not timed here."""
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

from mmcsted.models.backbones import InceptionI3D, TorchvisionS3D
from mmcsted.registry import DATASETS
from tools.analysis_tools.complexity import model_complexity
from tools.data import synthetic
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
    out = subprocess.run([
        sys.executable,
        osp.join(TOOLS, 'get_flops.py'), TINY, '--shape', '8', '64', '64'
    ],
                         cwd=REPO,
                         capture_output=True,
                         text=True,
                         check=True).stdout
    assert 'total' in out and 'decoder' in out
    out = subprocess.run([
        sys.executable,
        osp.join(TOOLS, 'benchmark.py'), TINY, '--shape', '8', '32', '32',
        '--batch-size', '2', '--warmup', '1', '--iters', '2', '--device', 'cpu'
    ],
                         cwd=REPO,
                         capture_output=True,
                         text=True,
                         check=True).stdout
    for key in ('infer', 'infer_backbones', 'train', 'train_backbones',
                'full / backbones'):
        assert key in out


# The paper's model and its S3D ablation, with the temporal backbone each one
# keeps once StagedBackbone has dropped the Kinetics classifier.
PAPER_CONFIGS = [
    ('configs/csted/csted_iv3_i3d_a2d.py', InceptionI3D),
    ('configs/csted/ablations/csted_iv3_s3d_a2d.py', TorchvisionS3D),
]
COMPONENTS = ('spatial encoder (backbone)', 'spatial CMAM',
              'temporal encoder (backbone)', 'temporal CMAM', 'text encoders',
              'decoder', 'total')


@pytest.mark.slow
@pytest.mark.parametrize(
    'config, temporal_backbone', PAPER_CONFIGS, ids=['i3d', 's3d'])
def test_get_flops_on_the_paper_configs(config, temporal_backbone):
    # no weights are downloaded (the tool drops the Pretrained init_cfgs) and
    # the A2D vocabulary need not exist; a small clip keeps it fast
    proc = subprocess.run([
        sys.executable,
        osp.join(TOOLS, 'get_flops.py'), config, '--shape', '8', '64', '64'
    ],
                          cwd=REPO,
                          capture_output=True,
                          text=True,
                          env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert 'input: 1 x 3 x 8 x 64 x 64' in out
    rows = {}
    for line in out.splitlines():
        match = re.fullmatch(r'(\S.*?)\s+(\d+\.\d\d)\s+(\d+\.\d\d)', line)
        if match:
            rows[match[1]] = (float(match[2]), match[3])
    assert tuple(rows) == COMPONENTS, out
    # the temporal encoder's backbone is the network without its head
    # (InceptionI3D: 12.29 M, S3D: 7.91 M)
    backbone = temporal_backbone(num_classes=0)
    n_params = sum(p.numel() for p in backbone.parameters())
    assert rows['temporal encoder (backbone)'][1] == f'{n_params / 1e6:.2f}'
    # the rows add up to the total (each rounded to 0.01)
    parts = [rows[c] for c in COMPONENTS[:-1]]
    total_flops, total_params = rows['total'][0], float(rows['total'][1])
    assert sum(float(p) for _, p in parts) == pytest.approx(
        total_params, abs=0.01 * len(parts))
    assert sum(f for f, _ in parts) == pytest.approx(
        total_flops, abs=0.01 * len(parts))
    for name in ('spatial encoder (backbone)', 'temporal encoder (backbone)',
                 'decoder'):
        assert rows[name][0] > 0 and float(rows[name][1]) > 0, name


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


def test_benchmark_channels_last_with_a_3d_encoder():
    """--channels-last once crashed on the rank-5 weights of the 3D encoder
    ('required rank 4 tensor to use channels_last format')."""
    sys.path.insert(0, TOOLS)
    try:
        from benchmark import benchmark
    finally:
        sys.path.remove(TOOLS)
    import torch
    model = build_tiny()
    assert any(p.dim() == 5 for p in model.temporal_encoder.parameters())
    results = benchmark(
        model,
        2, (8, 32, 32),
        torch.device('cpu'),
        channels_last=True,
        warmup=1,
        iters=1)
    for key in ('infer', 'infer_backbones', 'train', 'train_backbones'):
        assert results[key] > 0
    conv3d = next(p for p in model.temporal_encoder.parameters()
                  if p.dim() == 5)
    conv2d = next(p for p in model.spatial_encoder.parameters()
                  if p.dim() == 4)
    assert conv3d.is_contiguous(memory_format=torch.channels_last_3d)
    assert conv2d.is_contiguous(memory_format=torch.channels_last)
