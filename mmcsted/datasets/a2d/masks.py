"""The A2D mask files (``<vid>/<frame:05d>.h5``; ``reMask`` is stored
transposed: (N, W, H), or (W, H) for one instance) and the per-video index of
their content, cached as JSON (reading the ~15k HDF5 files is the slow part of
building the dataset).
"""
import logging
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

import mmengine
import numpy as np
from mmengine.logging import print_log

from mmcsted.utils.atomic_write import atomic_write_json
from mmcsted.utils.video_io import read_bytes_io
from ..utils import resolve_cache_dir
from .tree import MASK_DIR


def _as_int_list(arr) -> List[int]:
    return [int(round(float(v))) for v in np.asarray(arr).ravel()]


def read_h5_frame_info(path: str) -> Dict:
    """Instance ids, mask count and per-instance labels of one mask file,
    from its header."""
    import h5py
    with h5py.File(path, 'r') as f:
        if 'instance' not in f or 'reMask' not in f:
            raise KeyError(f'{path}: expected the keys "instance" and '
                           f'"reMask", found {sorted(f.keys())}')
        instances = _as_int_list(f['instance'][()])
        shape = tuple(f['reMask'].shape)
        labels = _as_int_list(f['id'][()]) if 'id' in f else []
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


INDEX_FILE = 'a2d_mask_index.json'
INDEX_FORMAT = 2  # 2: a (size, mtime) signature per file
MASK_FILE_PATTERN = re.compile(r'^(\d+)\.h5$')


class A2DMaskIndex:
    """Per-video content of the A2D mask files (instance ids, mask count,
    labels), cached as JSON; a video is re-read when a file of its mask folder
    was added, removed or rewritten (size, mtime).
    """

    def __init__(self,
                 data_root: str,
                 cache_dir: Optional[str] = None,
                 use_cache: bool = True):
        self.data_root = data_root
        self.mask_root = osp.join(data_root, MASK_DIR)
        self.use_cache = use_cache
        self.cache_file = osp.join(
            resolve_cache_dir(data_root, cache_dir), INDEX_FILE)
        self.videos: Dict[str, Dict] = {}
        if use_cache and osp.isfile(self.cache_file):
            try:
                data = mmengine.load(self.cache_file)
                if data.get('format') == INDEX_FORMAT:
                    self.videos = data['videos']
            except Exception as e:  # a broken cache is rebuilt, not fatal
                print_log(
                    f'ignoring the unreadable index cache {self.cache_file}: '
                    f'{e}',
                    logger='current',
                    level=logging.WARNING)

    def save(self) -> None:
        if not self.use_cache:
            return
        try:
            os.makedirs(osp.dirname(self.cache_file), exist_ok=True)
            atomic_write_json(
                dict(format=INDEX_FORMAT, videos=self.videos), self.cache_file)
        except OSError as e:
            print_log(
                f'could not write the index cache {self.cache_file}: {e}',
                logger='current',
                level=logging.WARNING)

    def _signature(self, vid: str) -> Optional[Dict[str, List[int]]]:
        """``{name: [size, mtime_ns]}`` of the video's mask folder, or None
        when it has none (one stat per file: cheap next to reading them)."""
        try:
            entries = list(os.scandir(osp.join(self.mask_root, vid)))
        except (FileNotFoundError, NotADirectoryError):
            return None
        sig = {}
        for entry in entries:
            try:
                st = entry.stat()
            except OSError:  # vanished between listing and stat
                continue
            sig[entry.name] = [st.st_size, st.st_mtime_ns]
        return sig

    def is_current(self, vid: str) -> bool:
        entry = self.videos.get(vid)
        if entry is None:
            return False
        sig = self._signature(vid)
        if sig is None:
            return bool(entry.get('missing'))
        return entry.get('files') == sig

    def scan_video(self, vid: str) -> Dict:
        vdir = osp.join(self.mask_root, vid)
        sig = self._signature(vid)
        if sig is None:
            return dict(missing=True)
        frames, bad_names = [], []
        for name in sorted(sig):
            m = MASK_FILE_PATTERN.match(name)
            if m is None:
                bad_names.append(name)
                continue
            item = dict(frame=int(m.group(1)), file=name)
            try:
                item.update(read_h5_frame_info(osp.join(vdir, name)))
            except Exception as e:
                item['error'] = f'{type(e).__name__}: {e}'
            frames.append(item)
        return dict(files=sig, frames=frames, bad_names=bad_names)

    def update(self,
               vids: Sequence[str],
               progress: bool = True,
               save_every: int = 200) -> int:
        """Scan the videos that are not current; saves every ``save_every``
        videos so that an interrupted run resumes. Returns how many were
        scanned."""
        todo = [v for v in dict.fromkeys(vids) if not self.is_current(v)]
        if not todo:
            return 0
        iterator = todo
        if progress and len(todo) > 20:
            from tqdm import tqdm
            iterator = tqdm(todo, desc='indexing A2D mask files', unit='video')
        for i, vid in enumerate(iterator, 1):
            self.videos[vid] = self.scan_video(vid)
            if i % save_every == 0:
                self.save()
        self.save()
        return len(todo)
