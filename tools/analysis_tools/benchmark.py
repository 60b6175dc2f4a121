"""Speed and memory of a CSTED config, and of its two backbones alone.

    python tools/analysis_tools/benchmark.py CONFIG [--checkpoint CKPT]
        [--batch-size 8] [--shape T H W] [--device cuda|cpu] [--amp]
        [--channels-last] [--compile] [--warmup 5] [--iters 20]

Prints, after warm-up, the median time per batch (and clips/s) of:
inference of the whole model, a training step (forward + backward + Adam step),
and the same for the two backbones alone (spatial on the target frames,
temporal on the clips), so that what CSTED adds on top of its backbones is a
ratio; plus the peak memory (GPU: torch.cuda.max_memory_allocated; CPU: the
process's peak RSS). Random weights unless --checkpoint: the speed does not
depend on them.
"""
import argparse
import os.path as osp
import resource
import statistics
import sys
import time

import torch
from mmengine.config import Config, DictAction

# run as a script: the folder holding tools/ (a checkout, or an installed
# mmcsted/.mim) goes on the path for the modules tools share
# (tools.analysis_tools.complexity)
if __name__ == '__main__':
    sys.path.insert(0, osp.abspath(__file__ + '/../../..'))

from mmcsted.utils import register_all_modules
from tools.analysis_tools.complexity import _TensorInputs

try:  # get_flops.py sits next to this file
    from get_flops import build_offline
except ImportError:  # imported as tools.analysis_tools.benchmark
    from .get_flops import build_offline


def _sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_it(fn, device, warmup: int, iters: int):
    for _ in range(warmup):
        fn()
    _sync(device)
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_memory_mb(device) -> float:
    if device.type == 'cuda':
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak(device):
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)


class BackbonesOnly(torch.nn.Module):
    """The two backbones of a CSTED model with nothing around them."""

    def __init__(self, model):
        super().__init__()
        self.spatial = model.spatial_encoder.backbone \
            if model.spatial_encoder else None
        self.temporal = model.temporal_encoder.backbone \
            if model.temporal_encoder else None

    def forward(self, clip, frame):
        outs = []
        if self.spatial is not None:
            outs.append(self.spatial(frame)[-1])
        if self.temporal is not None:
            outs.append(self.temporal(clip)[-1])
        return outs


def build(args):
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = build_offline(cfg.model.to_dict())
    if args.checkpoint:
        from mmengine.runner import load_checkpoint
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    else:
        model.init_weights()
    return model


def to_channels_last(model: torch.nn.Module) -> None:
    """channels-last for 2D (NHWC) and 3D (NDHWC) weights alike:
    ``Module.to(memory_format=channels_last)`` refuses rank-5 tensors."""
    for param in model.parameters():
        if param.dim() == 4:
            param.data = param.data.contiguous(
                memory_format=torch.channels_last)
        elif param.dim() == 5:
            param.data = param.data.contiguous(
                memory_format=torch.channels_last_3d)


def _infer_step(net, autocast, *inputs):
    """One inference pass of ``net``, as a timed function."""

    def fn():
        with torch.no_grad(), autocast:
            net(*inputs)

    return fn


def _train_step(net, params, autocast, *inputs):
    """One Adam step on the mean of ``net``'s outputs, as a timed
    function."""
    optim = torch.optim.Adam(params, lr=1e-4)

    def fn():
        optim.zero_grad(set_to_none=True)
        with autocast:
            outs = net(*inputs)
        sum(o.float().mean() for o in outs).backward()
        optim.step()

    return fn


def _time_steps(steps, device, warmup: int, iters: int, results: dict) -> None:
    """Seconds per call and peak memory of each (name, function)."""
    for name, fn in steps:
        reset_peak(device)
        results[name] = time_it(fn, device, warmup, iters)
        results[name + '_mem_mb'] = peak_memory_mb(device)


def benchmark(model,
              batch_size,
              shape,
              device,
              amp=False,
              channels_last=False,
              compile_model=False,
              warmup=5,
              iters=20,
              query='the man in a red shirt is running on the left'):
    """Times in seconds per batch and peak memory, as a dict."""
    t, h, w = shape
    model = model.to(device)
    clip = torch.randn(batch_size, 3, t, h, w, device=device)
    frame = clip[:, :, t // 2].contiguous()
    if channels_last:
        to_channels_last(model)
        frame = frame.to(memory_format=torch.channels_last)
        clip = clip.to(memory_format=torch.channels_last_3d)
    tokens = model.tokenize([query] * batch_size)
    target = torch.full((batch_size, ), t // 2, device=device)
    token_args = tuple(x for pair in tokens.values() for x in pair)
    full = _TensorInputs(model)
    backbones = BackbonesOnly(model)
    if compile_model:
        full = torch.compile(full)
        backbones = torch.compile(backbones)
    dtype = torch.bfloat16
    autocast = torch.autocast(device.type, dtype=dtype, enabled=amp)

    results = {}
    model.eval()
    _time_steps((
        ('infer', _infer_step(full, autocast, clip, frame, target, *
                              token_args)),
        ('infer_backbones', _infer_step(backbones, autocast, clip, frame)),
    ), device, warmup, iters, results)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    bb_params = [p for p in backbones.parameters() if p.requires_grad]
    _time_steps((
        ('train',
         _train_step(full, trainable, autocast, clip, frame, target, *
                     token_args)),
        ('train_backbones',
         _train_step(backbones, bb_params, autocast, clip, frame)),
    ), device, warmup, iters, results)
    return results


def main():
    parser = argparse.ArgumentParser(description='CSTED speed and memory')
    parser.add_argument('config')
    parser.add_argument('--checkpoint')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--shape', type=int, nargs=3, metavar=('T', 'H', 'W'))
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--amp', action='store_true', help='bf16 autocast')
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--compile', action='store_true')
    parser.add_argument('--cudnn-benchmark', action='store_true')
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    register_all_modules()
    if args.cudnn_benchmark:
        torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    model = build(args)
    shape = tuple(args.shape or (model.clip_len, 320, 320))
    device = torch.device(args.device)
    r = benchmark(model, args.batch_size, shape, device, args.amp,
                  args.channels_last, args.compile, args.warmup, args.iters)
    b = args.batch_size
    print(f'{args.config}  batch {b} x 3 x {shape[0]} x {shape[1]} x '
          f'{shape[2]}  device {device}  amp {args.amp}  channels_last '
          f'{args.channels_last}  compile {args.compile}')
    print(f'{"":<22}{"ms/batch":>10}{"clips/s":>10}{"peak MB":>10}')
    for key in ('infer', 'infer_backbones', 'train', 'train_backbones'):
        print(f'{key:<22}{r[key] * 1e3:>10.1f}{b / r[key]:>10.1f}'
              f'{r[key + "_mem_mb"]:>10.0f}')
    print(f'inference: full / backbones = '
          f'{r["infer"] / r["infer_backbones"]:.2f}')
    print(f'training:  full / backbones = '
          f'{r["train"] / r["train_backbones"]:.2f}')


if __name__ == '__main__':
    main()
