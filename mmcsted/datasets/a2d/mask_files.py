"""Reading the A2D mask files (``<vid>/<frame:05d>.h5``); ``reMask`` is
stored transposed: (N, W, H), or (W, H) for one instance.
"""
from typing import Dict, List, Optional

import numpy as np

from mmcsted.utils.video_io import read_bytes_io


def _as_int_list(arr) -> List[int]:
    return [int(round(float(v))) for v in np.asarray(arr).ravel()]


def read_h5_frame_info(path: str, deep: bool = False) -> Dict:
    """Instance ids, mask count and per-instance labels of one mask file:
    from the header, or (``deep``) reading every mask and box to the last
    byte, which a file damaged past its header fails."""
    import h5py
    with h5py.File(path, 'r') as f:
        if 'instance' not in f or 'reMask' not in f:
            raise KeyError(f'{path}: expected the keys "instance" and '
                           f'"reMask", found {sorted(f.keys())}')
        instances = _as_int_list(f['instance'][()])
        shape = tuple(f['reMask'].shape)
        labels = _as_int_list(f['id'][()]) if 'id' in f else []
        if deep:
            f['reMask'][()]
            if 'reBBox' in f:
                f['reBBox'][()]
    if deep and len(shape) not in (2, 3):
        raise ValueError(f'{path}: reMask has shape {shape}, expected '
                         '(N, W, H) or (W, H)')
    num_masks = 1 if len(shape) == 2 else shape[0]
    return dict(instances=instances, num_masks=int(num_masks), labels=labels)


def load_a2d_mask(path: str,
                  instance_id: int,
                  backend_args: Optional[dict] = None) -> np.ndarray:
    """The H x W {0, 1} uint8 mask of ``instance_id`` in one A2D h5 file (the
    first where an id is listed twice), read through :mod:`mmengine.fileio`.
    """
    import h5py
    with h5py.File(read_bytes_io(path, backend_args), 'r') as f:
        instances = _as_int_list(f['instance'][()])
        if instance_id not in instances:
            raise KeyError(f'{path}: instance {instance_id} not in this '
                           f'frame (instances {instances})')
        idx = instances.index(instance_id)
        dset = f['reMask']
        if dset.ndim == 2:
            if idx != 0:
                raise ValueError(f'{path}: one mask stored but instance '
                                 f'{instance_id} is number {idx + 1}')
            mask = dset[()]
        elif dset.ndim == 3:
            if idx >= dset.shape[0]:
                raise ValueError(f'{path}: {dset.shape[0]} masks stored but '
                                 f'instance {instance_id} is number '
                                 f'{idx + 1}')
            mask = dset[idx]
        else:
            raise ValueError(f'{path}: reMask has shape {dset.shape}, '
                             'expected (N, W, H) or (W, H)')
    return (np.asarray(mask).T > 0.5).astype(np.uint8)
