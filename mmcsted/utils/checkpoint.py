"""Safe checkpoint loading and verified downloads.

torch >= 2.6 loads with ``weights_only=True``; mmengine 0.10.7 calls ``torch.load``
without the argument, so its own work-dir checkpoints (numpy scalars, the message
hub's ``HistoryBuffer``) fail to load, and its http loader calls
``load_state_dict_from_url`` with ``weights_only=False`` (arbitrary code from a
download). Importing this module replaces mmengine's local and http checkpoint
loaders with ones that

* always unpickle with ``weights_only=True``;
* allow-list only the few types that mmengine itself writes, with ``getattr``
  narrowed to the statistics methods of ``HistoryBuffer``;
* download into the torch hub cache with a progress bar and verify the SHA-256
  against the hash in the file name (OpenMMLab ``-xxxxxxxx.pth`` convention) or a
  given hash, refusing the file on a mismatch.
"""
import hashlib
import logging
import os
import os.path as osp
import re
import shutil
import tempfile
from typing import Callable, List, Optional, Union
from urllib.parse import urlparse

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner.checkpoint import CheckpointLoader

# `-` followed by 8..64 hex digits right before the extension, as OpenMMLab names
# its released checkpoints (``i3d_..._20220812-e213c223.pth``).
_HASH_IN_NAME = re.compile(r'-([0-9a-f]{8,64})\.(?:pth|pt|ckpt)$')


class CheckpointHashError(RuntimeError):
    """A downloaded or cached checkpoint does not match its expected hash."""


def _history_buffer_getattr(obj, name):
    # mmengine pickles ``HistoryBuffer.statistics_methods`` as
    # ``getattr(HistoryBuffer, 'mean')``; allow exactly that and nothing else.
    allowed = {'min', 'max', 'current', 'mean'}
    allowed.update(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise RuntimeError(
        f'checkpoint asks for getattr({obj!r}, {name!r}); only the statistics '
        'methods of mmengine.logging.HistoryBuffer are allowed')


def _numpy_globals() -> List:
    dtype_classes = {type(np.dtype(t)) for t in np.typecodes['All'] if t}
    return [
        np.dtype, np.ndarray, np._core.multiarray.scalar,
        np._core.multiarray._reconstruct, *sorted(dtype_classes, key=str)
    ]


def mmengine_safe_globals() -> List:
    """The allow-list of non-tensor types found in mmengine checkpoints."""
    return [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr')
            ] + _numpy_globals()


def allow_mmengine_checkpoint_types():
    """Context manager: ``torch.load(weights_only=True)`` accepts what mmengine
    writes (``with allow_mmengine_checkpoint_types(): torch.load(...)``)."""
    return torch.serialization.safe_globals(mmengine_safe_globals())


def load_local(filename: str, map_location=None):
    """Load a local checkpoint with ``weights_only=True`` and the narrow
    allow-list of mmengine's own types."""
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    with allow_mmengine_checkpoint_types():
        try:
            return torch.load(
                filename, map_location=map_location, weights_only=True)
        except Exception as err:  # add the file name; torch's text is long
            raise RuntimeError(
                f'cannot load checkpoint {filename} safely '
                f'(weights_only=True): {err}') from err


def sha256_prefix_from_filename(filename: str) -> Optional[str]:
    """The hash prefix in an OpenMMLab-style file name, or None."""
    match = _HASH_IN_NAME.search(osp.basename(urlparse(filename).path))
    return match.group(1) if match else None


def file_sha256(path: str) -> str:
    sha = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            sha.update(chunk)
    return sha.hexdigest()


def _check_hash(path: str, expected: str, source: str) -> None:
    actual = file_sha256(path)
    if not actual.startswith(expected.lower()):
        raise CheckpointHashError(
            f'SHA-256 of {source} is {actual[:len(expected)]}..., expected '
            f'{expected}; the file is corrupt or not the published one and '
            'was not used')


def download_checkpoint(url: str,
                        cache_dir: Optional[str] = None,
                        sha256: Optional[str] = None,
                        progress: bool = True) -> str:
    """Download ``url`` into the torch hub cache (``<hub>/checkpoints``) and
    return the local path.

    The file is verified against ``sha256`` (a full hash or a prefix) or else the
    hash in its file name; a mismatch raises :class:`CheckpointHashError` and the
    file is removed. A cached file is verified again before it is reused.
    """
    cache_dir = cache_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    os.makedirs(cache_dir, exist_ok=True)
    filename = osp.basename(urlparse(url).path)
    expected = sha256 or sha256_prefix_from_filename(filename)
    target = osp.join(cache_dir, filename)
    if osp.isfile(target):
        if expected:
            try:
                _check_hash(target, expected, target)
            except CheckpointHashError:
                print_log(f'cached {target} fails its hash check; '
                          'downloading again', logger='current',
                          level=logging.WARNING)
                os.remove(target)
        if osp.isfile(target):
            return target
    if not expected:
        print_log(
            f'{url} carries no hash in its name and none was given: it '
            'cannot be verified', logger='current', level=logging.WARNING)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix='.partial')
    os.close(fd)
    try:
        torch.hub.download_url_to_file(url, tmp, progress=progress)
        if expected:
            _check_hash(tmp, expected, url)
        shutil.move(tmp, target)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return target


def load_weights(filename: str,
                 map_location='cpu',
                 sha256: Optional[str] = None) -> dict:
    """Load a checkpoint from a path or an http(s) URL, safely.

    URLs are downloaded and hash-verified (see :func:`download_checkpoint`).
    Files load with ``weights_only=True``.
    """
    if filename.startswith(('http://', 'https://')):
        filename = download_checkpoint(filename, sha256=sha256)
    elif sha256:
        _check_hash(filename, sha256, filename)
    return load_local(filename, map_location=map_location)


def state_dict_from_checkpoint(checkpoint: Union[dict, 'torch.nn.Module'],
                               prefix: Optional[str] = None) -> dict:
    """The ``state_dict`` of a checkpoint dict; with ``prefix`` only the keys
    under it (the prefix removed), e.g. ``backbone.`` of a recognizer."""
    state = checkpoint.get('state_dict', checkpoint) \
        if isinstance(checkpoint, dict) else checkpoint
    if prefix:
        if not prefix.endswith('.'):
            prefix += '.'
        state = {
            k[len(prefix):]: v
            for k, v in state.items() if k.startswith(prefix)
        }
        if not state:
            raise KeyError(f'the checkpoint has no key under "{prefix}"')
    return state


def _load_from_local(filename: str, map_location=None):
    return load_local(osp.expanduser(filename), map_location)


def _load_from_http(filename: str, map_location=None, model_dir=None):
    path = download_checkpoint(filename, cache_dir=model_dir)
    return load_local(path, map_location)


def _register(prefixes, loader: Callable) -> None:
    CheckpointLoader.register_scheme(prefixes=prefixes, force=True)(loader)


# Replace mmengine's loaders for local files and downloads (``load_from``,
# ``--resume``, ``init_cfg=dict(type='Pretrained', ...)`` all go through them).
_register('', _load_from_local)
_register(('http://', 'https://'), _load_from_http)
