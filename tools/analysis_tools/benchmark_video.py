"""Whole-video inference, end to end, as users run it: where the time goes.

    python tools/analysis_tools/benchmark_video.py CONFIG
        (VIDEO | --synthetic H W T) [--checkpoint CKPT] [--query QUERY]
        [--batch-size 8] [--input-size N] [--device cpu|cuda]
        [--model-iters 5] [--out DIR] [--seed 0] [--threads N]
        [--prefetch 2] [--fuse-conv-bn] [--bf16] [--channels-last]

Runs :class:`~mmcsted.apis.VideoActorSegInferencer` on every frame of the
video and writes each mask as a PNG (into ``--out``, default a temporary
folder removed at the end), timing each step:

* decode: the frames read from the video (the reader, timed around it);
* pipeline: the rest of the inferencer's data path (clip sampling, the test
  pipeline's resize and packing, the frame cache's bookkeeping): the time
  the main thread spends getting the next batch of clips, less decode;
* batching: the collation of the clips and the model's data preprocessor
  (stacking, normalising);
* model: the model's forward in ``predict`` mode (including the masks'
  resize to the frame size);
* write: the masks written as PNGs;
* other: the rest (the masks taken from the model's data samples, the result
  dicts, the benchmark's own bookkeeping).

With ``--prefetch N`` (the inferencer's default, 2) decoding and the
pipeline run in a background thread, overlapping the rest: the table then
shows the main thread's steps, "data wait" (the main thread waiting for the
next prepared batch: the part of the data path not hidden) instead of
"decode" and "pipeline", whose time is printed apart (in the thread).
``--fuse-conv-bn``, ``--bf16`` and ``--channels-last`` are the inferencer's
speed-ups.

It prints frames/s, each step's share, the data path (decode + pipeline +
batching) relative to the model time, the model alone on one batch of the
same size (after one warm-up run) and the ratio of the end-to-end time per
frame to it, and the peak memory: the process's peak RSS, the largest RSS
seen while streaming (flat in the video's length), the frame cache's
largest size, and on a GPU ``torch.cuda.max_memory_allocated``.

``--synthetic H W T`` first writes a seeded H x W video of T frames (H.264
where PyAV has libx264, else OpenCV's mp4v) into the temporary folder, one
frame at a time. Random weights unless ``--checkpoint``: the speed does not
depend on them (no download: pretrained backbones are not loaded and the
query's vocabulary is a placeholder).
"""
import argparse
import os
import os.path as osp
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict

import cv2
import numpy as np
import torch
from mmengine.config import Config, DictAction

# run as a script: the folder holding tools/ goes on the path for the
# modules tools share (tools.analysis_tools.get_flops)
if __name__ == '__main__':
    sys.path.insert(0, osp.abspath(__file__ + '/../../..'))

from tools.analysis_tools.get_flops import offline  # noqa: E402

STEPS = ('decode', 'pipeline', 'batching', 'model', 'write', 'other')
PREFETCH_STEPS = ('data wait', 'batching', 'model', 'write', 'other')


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='CSTED whole-video inference benchmark')
    p.add_argument('config')
    p.add_argument('video', nargs='?', help='video file or frame folder')
    p.add_argument(
        '--synthetic',
        type=int,
        nargs=3,
        metavar=('H', 'W', 'T'),
        help='write and use a synthetic H x W video of T frames')
    p.add_argument('--checkpoint', help='default: random weights')
    p.add_argument('--query', default='the red square is moving right')
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument(
        '--input-size', type=int, help='default: the test pipeline\'s')
    p.add_argument('--device', default='cpu')
    p.add_argument(
        '--model-iters',
        type=int,
        default=5,
        help='timed runs of the model alone on one batch')
    p.add_argument('--out', help='write the masks (and results.json) here')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument(
        '--threads',
        type=int,
        help='torch intra-op threads (default: torch\'s; 1 is steadier on '
        'a busy machine)')
    p.add_argument(
        '--prefetch',
        type=int,
        default=2,
        help='batches prepared ahead in a thread (0: none)')
    p.add_argument('--fuse-conv-bn', action='store_true')
    p.add_argument('--bf16', action='store_true', help='bf16 autocast (GPU)')
    p.add_argument('--channels-last', action='store_true')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = p.parse_args(argv)
    if (args.video is None) == (args.synthetic is None):
        p.error('give VIDEO or --synthetic H W T (one of them)')
    return args


def write_synthetic_video(path: str, height: int, width: int, num_frames: int,
                          seed: int) -> str:
    """A seeded video: a fixed noisy background and a red square moving
    right, written one frame at a time (memory flat in ``num_frames``).
    Returns the codec used."""
    rng = np.random.default_rng(seed)
    background = rng.integers(40, 160, (height, width, 3), dtype=np.uint8)
    side = max(2, min(height, width) // 4)
    try:
        import av
        container = av.open(path, 'w')
        stream = container.add_stream('libx264', rate=25)
        stream.width, stream.height = width, height
        stream.pix_fmt = 'yuv420p'
        stream.options = {'preset': 'veryfast'}

        def write(rgb):
            frame = av.VideoFrame.from_ndarray(rgb, format='rgb24')
            for packet in stream.encode(frame):
                container.mux(packet)

        def close():
            for packet in stream.encode():
                container.mux(packet)
            container.close()

        codec = 'H.264 (PyAV libx264)'
    except Exception:  # no PyAV or no libx264 in this build
        writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 25,
                                 (width, height))

        def write(rgb):
            writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))

        close = writer.release
        codec = 'MPEG-4 Part 2 (OpenCV mp4v)'
    for t in range(num_frames):
        frame = background.copy()
        x = (t * max(1, width // 50)) % max(1, width - side)
        y = (height - side) // 2
        frame[y:y + side, x:x + side] = (220, 30, 30)
        write(frame)
    close()
    return codec


def current_rss_mb() -> float:
    with open('/proc/self/statm') as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf('SC_PAGE_SIZE') / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Clock:
    """Seconds spent in each step, from any thread (CUDA synchronised at
    each edge in the main thread, which runs the model)."""

    def __init__(self, device: torch.device):
        self.device = device
        self.seconds = defaultdict(float)
        self.started = {}
        self.lock = threading.Lock()

    def now(self) -> float:
        if self.device.type == 'cuda' and \
                threading.current_thread() is threading.main_thread():
            torch.cuda.synchronize(self.device)
        return time.perf_counter()

    def start(self, step: str) -> None:
        self.started[threading.get_ident(), step] = self.now()

    def stop(self, step: str) -> None:
        elapsed = self.now() - self.started.pop((threading.get_ident(), step))
        with self.lock:
            self.seconds[step] += elapsed


def timed_iter(items, clock: Clock, step: str):
    """The items of the iterator ``items``, getting each counted as
    ``step``."""
    while True:
        clock.start(step)
        item = next(items, None)
        clock.stop(step)
        if item is None:
            return
        yield item


def timed_reader(reader, clock: Clock):
    """``reader`` whose frame reads count as the 'decode' step."""
    from mmcsted.utils.video_io import FrameReader

    class TimedReader(FrameReader):
        name, num_frames = reader.name, reader.num_frames
        frame_shape = reader.frame_shape

        def iter_frames(self, indices):
            return timed_iter(reader.iter_frames(indices), clock, 'decode')

        def close(self):
            reader.close()

    return TimedReader()


def time_model_steps(model, clock: Clock) -> list:
    """Hooks that count the data preprocessor as 'batching' and the
    model's forward as 'model'; returns their handles."""
    handles = []
    for module, step in ((model.data_preprocessor, 'batching'), (model,
                                                                 'model')):
        handles.append(
            module.register_forward_pre_hook(
                lambda m, a, step=step: clock.start(step)))
        handles.append(
            module.register_forward_hook(
                lambda m, a, o, step=step: clock.stop(step)))
    return handles


def time_data_steps(inferencer, clock: Clock) -> None:
    """Count the main thread's wait for each batch of clips as 'data' and
    the collation as 'batching' (on this inferencer instance only)."""
    preprocess, collate = inferencer.preprocess, inferencer.collate_fn

    def timed_preprocess(*args, **kwargs):
        batches = preprocess(*args, **kwargs)
        try:
            yield from timed_iter(batches, clock, 'data')
        finally:
            batches.close()

    def timed_collate(data):
        clock.start('batching')
        try:
            return collate(data)
        finally:
            clock.stop('batching')

    inferencer.preprocess = timed_preprocess
    inferencer.collate_fn = timed_collate


def build_model(args):
    from mmcsted.apis import init_model
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.checkpoint:
        return init_model(cfg, args.checkpoint, args.device)
    cfg.model = Config(offline(cfg.model.to_dict()))
    model = init_model(cfg, None, args.device)
    for module in model.modules():  # text encoders waiting for a vocab
        if getattr(module, 'awaits_vocab', False) and hasattr(
                module, 'set_vocabulary'):
            module.set_vocabulary(['word'], torch.zeros(1, module.embed_dims))
    return model.to(args.device)


def model_alone(inferencer, video, query: str, kwargs: dict, batch_size: int,
                iters: int, clock: Clock) -> float:
    """Seconds per batch of the model's forward alone, on the first
    ``batch_size`` clips of the video (one warm-up run first)."""
    model = inferencer.model
    frames = list(range(min(batch_size, len(video))))
    batches = inferencer.preprocess(
        video, batch_size, query=query, frames=frames, **kwargs)
    items = next(batches)
    batches.close()
    data = model.data_preprocessor(
        inferencer.collate_fn([
            dict(inputs=it.clip, data_samples=it.data_sample) for it in items
        ]), False)
    times = []
    autocast = torch.autocast(
        clock.device.type, torch.bfloat16, enabled=inferencer.bf16)
    with torch.no_grad(), autocast:
        for i in range(iters + 1):
            t0 = clock.now()
            model(**data, mode='predict')
            if i:  # the first run warms up
                times.append(clock.now() - t0)
    return float(np.median(times)) * batch_size / len(items)


def stream_masks(inferencer, reader, args, kwargs: dict, clock: Clock,
                 mask_dir: str) -> tuple:
    """Segment the whole video, each mask written as a PNG (closing
    ``reader``): (seconds in all, the frame cache's stats, the largest RSS
    while streaming)."""
    from mmcsted.utils.atomic_write import atomic_write_image
    handles = time_model_steps(inferencer.model, clock)
    time_data_steps(inferencer, clock)
    stats, streaming_rss = {}, 0.
    t0 = clock.now()
    try:
        for r in inferencer.stream(
                reader,
                args.query,
                batch_size=args.batch_size,
                return_scores=False,
                stats=stats,
                **kwargs):
            clock.start('write')
            atomic_write_image(
                r['mask'] * 255,
                osp.join(mask_dir, f'{r["frame_index"]:05d}.png'))
            clock.stop('write')
            if r['frame_index'] % args.batch_size == 0:
                streaming_rss = max(streaming_rss, current_rss_mb())
    finally:
        total = clock.now() - t0
        reader.close()
        for handle in handles:
            handle.remove()
    return total, stats, streaming_rss


def step_seconds(clock: Clock, total: float, results: dict) -> tuple:
    """(seconds of each reported step, seconds of the data path). The main
    thread's wait for a batch ('data') is the pipeline with decoding inside
    it, or with prefetching the wait for the thread (decoding, in the
    thread, goes to ``results``); 'other' is what no step timed."""
    seconds = dict(clock.seconds)
    if results['prefetch'] > 0:  # decode and pipeline overlap the main thread
        results['decode_in_thread_s'] = seconds.pop('decode', 0.)
        seconds['data wait'] = seconds.pop('data')
        steps = PREFETCH_STEPS
        data_path = seconds['data wait'] + seconds['batching']
    else:
        seconds['pipeline'] = seconds.pop('data') - seconds['decode']
        steps = STEPS
        data_path = sum(seconds[s] for s in ('decode', 'pipeline', 'batching'))
    seconds['other'] = total - sum(seconds.values())
    return {s: seconds.get(s, 0.) for s in steps}, data_path


def measure(args, tmp: str, mask_dir: str, results: dict) -> None:
    """Time the whole-video inference; the figures go to ``results``."""
    from mmcsted.apis import VideoActorSegInferencer
    from mmcsted.utils.video_io import STREAMING_VIDEO_BACKENDS, open_video
    device = torch.device(args.device)
    video = args.video
    if args.synthetic:
        h, w, t = args.synthetic
        video = osp.join(tmp, f'synthetic_{h}x{w}_{t}.mp4')
        results['video_codec'] = write_synthetic_video(video, h, w, t,
                                                       args.seed)
    results['video'] = video
    inferencer = VideoActorSegInferencer(
        build_model(args),
        show_progress=False,
        prefetch=args.prefetch,
        fuse_conv_bn=args.fuse_conv_bn,
        bf16=args.bf16,
        channels_last=args.channels_last)
    kwargs = {} if args.input_size is None else dict(
        input_size=args.input_size)
    clock = Clock(device)
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
    with open_video(video) as reader:
        results['frame_shape'] = list(reader.frame_shape or ())
        alone = model_alone(inferencer, reader, args.query, kwargs,
                            args.batch_size, args.model_iters, clock)
    reader = open_video(video, video_backends=STREAMING_VIDEO_BACKENDS)
    results['video_reader'] = type(reader).__name__  # as the inferencer's
    total, stats, streaming_rss = stream_masks(inferencer,
                                               timed_reader(reader, clock),
                                               args, kwargs, clock, mask_dir)
    results['prefetch'] = args.prefetch
    seconds, data_path = step_seconds(clock, total, results)
    n = stats['frames']
    results.update(
        speedups=[
            f for f in ('fuse_conv_bn', 'bf16', 'channels_last')
            if getattr(args, f)
        ],
        frames=n,
        total_s=total,
        fps=n / total,
        seconds=seconds,
        data_path_over_model=data_path / seconds['model'],
        model_alone_s_per_batch=alone,
        model_alone_fps=args.batch_size / alone,
        end_to_end_over_model_alone=(total / n) / (alone / args.batch_size),
        peak_rss_mb=peak_rss_mb(),
        streaming_rss_mb=streaming_rss,
        frames_decoded=stats['frames_decoded'],
        peak_cache_frames=stats['peak_cache'])
    if device.type == 'cuda':
        results['cuda_max_allocated_mb'] = \
            torch.cuda.max_memory_allocated(device) / 2**20


def run(args) -> dict:
    from mmcsted.utils import register_all_modules
    register_all_modules()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    tmp = tempfile.mkdtemp(prefix='benchmark_video_')
    mask_dir = osp.join(args.out or tmp, 'masks')
    os.makedirs(mask_dir, exist_ok=True)
    results = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        device=args.device,
        batch_size=args.batch_size,
        threads=torch.get_num_threads())
    try:
        measure(args, tmp, mask_dir, results)
        if args.out:
            from mmcsted.utils.atomic_write import atomic_write_json
            atomic_write_json(
                results, osp.join(args.out, 'results.json'), indent=2)
        return results
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(results: dict) -> str:
    from prettytable import PrettyTable
    table = PrettyTable(['step', 's', 'share %', 'ms / frame'])
    n, total = results['frames'], results['total_s']
    for step, s in results['seconds'].items():
        table.add_row(
            [step, f'{s:.2f}', f'{100 * s / total:.1f}', f'{1e3 * s / n:.2f}'])
    table.add_row(['total', f'{total:.2f}', '100.0', f'{1e3 * total / n:.2f}'])
    lines = [
        f'{results["video"]} ({results["frame_shape"]}, read by '
        f'{results["video_reader"]}), '
        f'{results["config"]}, batch {results["batch_size"]}, '
        f'{results["device"]}, {results["threads"]} threads, prefetch '
        f'{results["prefetch"]}, speed-ups: '
        f'{", ".join(results["speedups"]) or "none"}',
        table.get_string(),
        f'end to end: {results["fps"]:.2f} frames/s; model alone: '
        f'{results["model_alone_fps"]:.2f} frames/s; ratio '
        f'{results["end_to_end_over_model_alone"]:.2f} x',
        'data path ({}) / model: {:.1f} %'.format(
            'data wait + batching'
            if results['prefetch'] else 'decode + pipeline + batching',
            100 * results['data_path_over_model']),
        f'peak RSS {results["peak_rss_mb"]:.0f} MB (largest while streaming '
        f'{results["streaming_rss_mb"]:.0f} MB); frame cache at most '
        f'{results["peak_cache_frames"]} frames; '
        f'{results["frames_decoded"]} frames decoded',
    ]
    if 'decode_in_thread_s' in results:
        lines.append(f'decode in the prefetch thread: '
                     f'{results["decode_in_thread_s"]:.2f} s (overlapped)')
    if 'cuda_max_allocated_mb' in results:
        lines.append(f'CUDA max allocated '
                     f'{results["cuda_max_allocated_mb"]:.0f} MB')
    return '\n'.join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    print(report(run(args)))
    return 0


if __name__ == '__main__':
    main()
