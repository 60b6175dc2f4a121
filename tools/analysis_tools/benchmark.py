"""Speed and memory of a CSTED config, and of its two backbones alone.

    python tools/analysis_tools/benchmark.py CONFIG [--checkpoint CKPT]
        [--batch-size 8] [--shape T H W] [--device cuda|cpu] [--amp]
        [--channels-last] [--compile] [--fuse-conv-bn] [--cuda-graph]
        [--bf16-weights] [--infer-only] [--profile] [--warmup 5] [--iters 20]

Prints, after warm-up, the median time per batch (and clips/s) of:
inference of the whole model, a training step (forward + backward + Adam step),
and the same for the two backbones alone (spatial on the target frames,
temporal on the clips), so that what CSTED adds on top of its backbones is a
ratio; plus the peak memory (GPU: torch.cuda.max_memory_allocated; CPU: the
process's peak RSS; "steady" = the peak of the timed iterations alone,
without the warm-up, where cuDNN's autotuner tries algorithms with large
workspaces). Random weights unless --checkpoint: the speed does not depend on
them. ``--profile`` adds, for inference, the GPU time of each part of the
model (CUDA events around its modules), the operators that take the most
GPU time (torch.profiler) and the CPU time to issue one forward.
"""
import argparse
import collections
import copy
import inspect
import os.path as osp
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
from mmengine.config import Config, DictAction

# run as a script: the folder holding tools/ (a checkout, or an installed
# mmcsted/.mim) goes on the path for the modules tools share
# (tools.analysis_tools.complexity)
if __name__ == '__main__':
    sys.path.insert(0, osp.abspath(__file__ + '/../../..'))

from mmcsted.models.utils import prepare_for_inference, to_channels_last
from mmcsted.utils import register_all_modules
from tools.analysis_tools.complexity import _TensorInputs
from tools.analysis_tools.get_flops import build_offline


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


def cuda_graphed(fn, device):
    """``fn`` captured once in a CUDA graph; returns its replay (static
    inputs: the same tensors every call)."""
    stream = torch.cuda.Stream(device)
    stream.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(stream):
        for _ in range(3):  # cuDNN's autotuning and lazy inits before capture
            fn()
    torch.cuda.current_stream(device).wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        fn()
    return graph.replay


def _time_steps(steps, device, warmup: int, iters: int, results: dict) -> None:
    """Seconds per call, peak memory with the warm-up and without it (the
    steady peak) of each (name, function)."""
    for name, fn in steps:
        reset_peak(device)
        for _ in range(warmup):
            fn()
        _sync(device)
        results[name + '_warmup_mem_mb'] = peak_memory_mb(device)
        reset_peak(device)
        results[name] = time_it(fn, device, 0, iters)
        results[name + '_mem_mb'] = peak_memory_mb(device)


def _part_modules(model):
    """(part name, module): the parts whose GPU time ``--profile`` shows."""
    parts = []
    for key, enc in model.encoders.items():
        staged = enc.backbone
        for i, names in enumerate(staged.stage_modules):
            parts += [(f'{key} backbone stage {i + 1}',
                       staged.backbone.get_submodule(n)) for n in names]
        parts += [(f'{key} CMAM', m) for m in enc.cmams.values()]
        if enc.text_encoder is not None:
            parts.append(('text encoders', enc.text_encoder))
    if getattr(model, 'text_encoder', None) is not None:
        parts.append(('text encoders', model.text_encoder))
    for name, child in model.decode_head.named_children():
        if isinstance(child, nn.ModuleList) and name != 'loss_decode':
            parts += [(f'decoder {name} {i + 1}', m)
                      for i, m in enumerate(child)]
    return parts


def part_times(model, fn, device, iters: int = 10) -> dict:
    """GPU milliseconds per call of each part of ``model`` while ``fn``
    runs it, from CUDA events recorded before and after its modules
    (``total``: the whole call; ``other``: what no part covers)."""
    events = collections.defaultdict(list)

    def hooks(name):

        def pre(module, args):
            start = torch.cuda.Event(enable_timing=True)
            start.record()
            events[name].append([start, None])

        def post(module, args, output):
            end = torch.cuda.Event(enable_timing=True)
            end.record()
            events[name][-1][1] = end

        return pre, post

    handles = []
    for name, module in _part_modules(model):
        pre, post = hooks(name)
        handles += [
            module.register_forward_pre_hook(pre),
            module.register_forward_hook(post)
        ]
    try:
        fn()  # hooks warmed
        events.clear()
        _sync(device)
        start, end = (torch.cuda.Event(enable_timing=True) for _ in range(2))
        start.record()
        for _ in range(iters):
            fn()
        end.record()
        _sync(device)
    finally:
        for h in handles:
            h.remove()
    times = {
        name: sum(a.elapsed_time(b) for a, b in pairs) / iters
        for name, pairs in events.items()
    }
    times['total'] = start.elapsed_time(end) / iters
    times['other'] = times['total'] - sum(
        v for k, v in times.items() if k != 'total')
    return times


def issue_time(fn, device, iters: int = 10) -> float:
    """CPU seconds to issue one call of ``fn`` (no wait for the GPU): when
    it is close to the GPU time, the model is launch-bound."""
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    issued = (time.perf_counter() - t0) / iters
    _sync(device)
    return issued


def operator_table(fn, device, iters: int = 5, rows: int = 25) -> str:
    """torch.profiler's table of the operators with the most GPU time."""
    from torch.profiler import ProfilerActivity, profile
    activities = [ProfilerActivity.CPU]
    if device.type == 'cuda':
        activities.append(ProfilerActivity.CUDA)
    with profile(activities=activities) as prof:
        for _ in range(iters):
            fn()
        _sync(device)
    key = 'self_cuda_time_total' if device.type == 'cuda' \
        else 'self_cpu_time_total'
    return prof.key_averages().table(sort_by=key, row_limit=rows)


def print_profile(model, fn, device) -> None:
    """The inference profile of ``--profile``."""
    for _ in range(3):  # cuDNN's autotuning first
        fn()
    issued = issue_time(fn, device)
    print(f'CPU time to issue one inference call: {issued * 1e3:.1f} ms')
    if device.type == 'cuda':
        times = part_times(model, fn, device)
        print('GPU time per inference call, by part (CUDA events):')
        total = times['total']
        for name, ms in sorted(times.items(), key=lambda kv: -kv[1]):
            print(f'  {name:<34}{ms:>9.2f} ms{100 * ms / total:>7.1f} %')
    print(operator_table(fn, device))


def _time_inference(model, inputs, device, autocast, warmup, iters, fuse,
                    bf16_weights, channels_last, compile_model, cuda_graph,
                    profile, results) -> None:
    """Inference of the model (what ``predict`` computes: the finest logits
    only) and of its backbones, on ``model`` changed as asked."""
    prepare_for_inference(model, fuse, bf16_weights, channels_last)
    predict_like = _TensorInputs(model, num_scales=1) if 'num_scales' in \
        inspect.signature(model.decode_head.forward).parameters else \
        _TensorInputs(model)
    backbones = BackbonesOnly(model)
    if compile_model:
        predict_like = torch.compile(predict_like)
        backbones = torch.compile(backbones)
    clip, frame = inputs[:2]
    infer = _infer_step(predict_like, autocast, *inputs)
    infer_backbones = _infer_step(backbones, autocast, clip, frame)
    if profile:
        print_profile(model, infer, device)
    if cuda_graph:
        infer = cuda_graphed(infer, device)
        infer_backbones = cuda_graphed(infer_backbones, device)
    _time_steps((('infer', infer), ('infer_backbones', infer_backbones)),
                device, warmup, iters, results)


def _time_training(model, inputs, device, autocast, warmup, iters,
                   channels_last, compile_model, profile, results) -> None:
    """An Adam step of the model and of its backbones alone."""
    if channels_last:
        to_channels_last(model)
    model.train()
    full = _TensorInputs(model)
    backbones = BackbonesOnly(model)
    if compile_model:
        full = torch.compile(full)
        backbones = torch.compile(backbones)
    trainable = [p for p in model.parameters() if p.requires_grad]
    bb_params = [p for p in backbones.parameters() if p.requires_grad]
    train = _train_step(full, trainable, autocast, *inputs)
    _time_steps((
        ('train', train),
        ('train_backbones',
         _train_step(backbones, bb_params, autocast, *inputs[:2])),
    ), device, warmup, iters, results)
    if profile:
        print('training step:')
        print(operator_table(train, device, iters=3))


def benchmark(model,
              batch_size,
              shape,
              device,
              amp=False,
              channels_last=False,
              compile_model=False,
              warmup=5,
              iters=20,
              query='the man in a red shirt is running on the left',
              fuse=False,
              bf16_weights=False,
              cuda_graph=False,
              infer_only=False,
              profile=False):
    """Times in seconds per batch and peak memory, as a dict."""
    t, h, w = shape
    model = model.to(device)
    clip = torch.randn(batch_size, 3, t, h, w, device=device)
    frame = clip[:, :, t // 2].contiguous()
    if channels_last:
        frame = frame.to(memory_format=torch.channels_last)
        clip = clip.to(memory_format=torch.channels_last_3d)
    tokens = model.tokenize([query] * batch_size)
    target = torch.full((batch_size, ), t // 2, device=device)
    inputs = (clip, frame, target) + tuple(x for pair in tokens.values()
                                           for x in pair)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp)
    results = {}
    # inference on a copy when it changes the weights (training needs them)
    _time_inference(
        copy.deepcopy(model) if
        (fuse or bf16_weights) and not infer_only else model, inputs, device,
        autocast, warmup, iters, fuse, bf16_weights, channels_last,
        compile_model, cuda_graph, profile, results)
    if not infer_only:
        _time_training(model, inputs, device, autocast, warmup, iters,
                       channels_last, compile_model, profile, results)
    return results


def parse_args():
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
    parser.add_argument(
        '--fuse-conv-bn',
        action='store_true',
        help='fold BN into the convolutions (inference only)')
    parser.add_argument(
        '--cuda-graph',
        action='store_true',
        help='inference replayed from a CUDA graph')
    parser.add_argument(
        '--bf16-weights',
        action='store_true',
        help='inference: cast the weights to bf16 once (with --amp: '
        'autocast casts them again at every forward otherwise)')
    parser.add_argument('--infer-only', action='store_true')
    parser.add_argument(
        '--profile',
        action='store_true',
        help='inference time by part and by operator')
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def print_results(args, shape, device, r: dict) -> None:
    b = args.batch_size
    print(f'{args.config}  batch {b} x 3 x {shape[0]} x {shape[1]} x '
          f'{shape[2]}  device {device}  amp {args.amp}  channels_last '
          f'{args.channels_last}  compile {args.compile}  fuse_conv_bn '
          f'{args.fuse_conv_bn}  bf16_weights {args.bf16_weights}  '
          f'cuda_graph {args.cuda_graph}')
    print(f'{"":<22}{"ms/batch":>10}{"clips/s":>10}{"peak MB":>10}'
          f'{"w/ warm-up":>12}')
    for key in ('infer', 'infer_backbones', 'train', 'train_backbones'):
        if key in r:
            print(f'{key:<22}{r[key] * 1e3:>10.1f}{b / r[key]:>10.1f}'
                  f'{r[key + "_mem_mb"]:>10.0f}'
                  f'{r[key + "_warmup_mem_mb"]:>12.0f}')
    print(f'inference: full / backbones = '
          f'{r["infer"] / r["infer_backbones"]:.2f}')
    if 'train' in r:
        print(f'training:  full / backbones = '
              f'{r["train"] / r["train_backbones"]:.2f}')


def main():
    args = parse_args()
    register_all_modules()
    if args.cudnn_benchmark:
        torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    model = build(args)
    shape = tuple(args.shape or (model.clip_len, 320, 320))
    device = torch.device(args.device)
    r = benchmark(
        model,
        args.batch_size,
        shape,
        device,
        args.amp,
        args.channels_last,
        args.compile,
        args.warmup,
        args.iters,
        fuse=args.fuse_conv_bn,
        bf16_weights=args.bf16_weights,
        cuda_graph=args.cuda_graph,
        infer_only=args.infer_only,
        profile=args.profile)
    print_results(args, shape, device, r)


if __name__ == '__main__':
    main()
