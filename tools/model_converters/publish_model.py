"""Turn a training checkpoint into a release file (OpenMMLab convention).

    python tools/model_converters/publish_model.py \\
        work_dirs/csted_tiny_synthetic/epoch_12.pth \\
        checkpoints/csted_tiny_synthetic_20261126

writes ``checkpoints/csted_tiny_synthetic_20261126-<sha256[:8]>.pth`` and
prints the full SHA-256 (put it in the metafile's ``Hash`` or rely on the
name).

Only the weights (``state_dict``) and a plain-python ``meta`` are kept: the
optimizer, message hub and parameter-scheduler states are dropped, and numpy
scalars / arrays in ``meta`` become Python numbers / lists, so the result loads
with plain ``torch.load(path, weights_only=True)``, no allow-list needed.
"""
import argparse
import hashlib
import io
import os.path as osp
import sys
from pathlib import PurePath

DROPPED_KEYS = ('optimizer', 'message_hub', 'param_schedulers',
                'ema_state_dict')


def to_plain(obj, where='meta', dropped=None):
    """A copy of ``obj`` made of what ``weights_only=True`` accepts: dicts,
    lists, tuples, str, int, float, bool, None and tensors; numpy values are
    converted, anything else becomes its ``str`` (listed in ``dropped``)."""
    import numpy as np
    import torch
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, dict):
        return {
            to_plain(k, where, dropped): to_plain(v, f'{where}.{k}', dropped)
            for k, v in obj.items()
        }
    if isinstance(obj, (list, tuple)):
        out = [
            to_plain(v, f'{where}[{i}]', dropped) for i, v in enumerate(obj)
        ]
        return out if isinstance(obj, list) else tuple(out)
    if isinstance(obj, PurePath):
        return str(obj)
    if dropped is not None:
        dropped.append(f'{where} ({type(obj).__name__})')
    return str(obj)


def publish(in_file: str, out_stem: str, verbose: bool = True) -> str:
    """Write ``<out_stem>-<sha256[:8]>.pth``; returns its path."""
    import torch

    from mmcsted.utils.atomic_write import atomic_write_bytes
    from mmcsted.utils.checkpoint import load_weights
    checkpoint = load_weights(in_file, map_location='cpu')
    if not isinstance(checkpoint, dict):
        raise TypeError(f'{in_file}: expected a dict checkpoint, got '
                        f'{type(checkpoint).__name__}')
    state = checkpoint.get('state_dict', checkpoint)
    if not state or not any(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f'{in_file} holds no weights')
    notes = []
    out = dict(state_dict=to_plain(dict(state), 'state_dict', notes))
    if 'meta' in checkpoint:
        out['meta'] = to_plain(checkpoint['meta'], 'meta', notes)
    removed = [k for k in checkpoint if k not in ('state_dict', 'meta')]
    stem = out_stem[:-4] if out_stem.endswith('.pth') else out_stem
    buffer = io.BytesIO()
    torch.save(out, buffer)
    data = buffer.getvalue()
    buffer.seek(0)
    torch.load(buffer, map_location='cpu', weights_only=True)  # must load
    sha = hashlib.sha256(data).hexdigest()
    final = f'{stem}-{sha[:8]}.pth'
    atomic_write_bytes(data, final)
    if verbose:
        if removed:
            print(f'dropped: {", ".join(removed)}')
        if notes:
            print('stored as text (not plain python): ' + ', '.join(notes))
        print(f'sha256: {sha}')
        print(f'wrote {final}')
    return final


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='strip a checkpoint and name it with its SHA-256 prefix')
    p.add_argument('in_file', help='training checkpoint')
    p.add_argument('out_stem', help='output path without the hash (and .pth)')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    publish(args.in_file, args.out_stem)
    return 0


if __name__ == '__main__':
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    sys.exit(main())
