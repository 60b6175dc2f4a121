"""Files and folders that a kill leaves old or new, never torn: written
under a temporary name in the destination's folder (so that ``os.replace`` is
a rename within one filesystem, which POSIX makes atomic), flushed, renamed
(docs/troubleshooting.md, "A kill during a write")."""
import contextlib
import ctypes
import ctypes.util
import json
import os
import os.path as osp
import secrets
import shutil
from typing import IO, Iterator, Optional


def temp_path_beside(path: str,
                     keep_ext: bool = False,
                     suffix: str = '.tmp') -> str:
    """A new, empty, hidden file beside ``path``: ``.<name>.*.tmp``, with
    ``keep_ext`` ``.<name>.*.tmp<ext>`` (for writers that pick the format by
    the extension: video containers, figures). Its permissions are a plain
    ``open``'s (0666 less the umask): ``mkstemp``'s 0600 would make
    checkpoints and outputs unreadable to anyone else."""
    suffix += osp.splitext(path)[1] if keep_ext else ''
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    for _ in range(100):
        tmp = osp.join(
            folder, f'.{osp.basename(path)}.'
            f'{secrets.token_hex(4)}{suffix}')
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue
    raise FileExistsError(f'no free temporary name beside {path}')


def commit_temp(tmp: str, path: str) -> str:
    """Flush the finished file ``tmp`` to disk and rename it to ``path``
    (one step: a reader sees the old file or the new one); returns
    ``path``."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return path


@contextlib.contextmanager
def atomic_path(path: str, keep_ext: bool = True) -> Iterator[str]:
    """A temporary path beside ``path`` for a writer that takes a file
    name; renamed to ``path`` when the block exits cleanly, removed on any
    exception."""
    tmp = temp_path_beside(path, keep_ext)
    try:
        yield tmp
        commit_temp(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


@contextlib.contextmanager
def atomic_write(path: str,
                 mode: str = 'wb',
                 encoding: Optional[str] = None) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on a clean exit flush, fsync
    and rename it to ``path``; on any exception remove it.

    >>> with atomic_write('out.pth') as f:
    ...     torch.save(obj, f)
    """
    if mode not in ('w', 'wb'):
        raise ValueError(f'atomic_write writes whole files: mode "w" or '
                         f'"wb", not {mode!r}')
    if 'b' not in mode and encoding is None:
        encoding = 'utf-8'
    with atomic_path(path, keep_ext=False) as tmp:
        with open(tmp, mode, encoding=encoding) as f:
            yield f


def atomic_write_bytes(data: bytes, path: str) -> None:
    with atomic_write(path, 'wb') as f:
        f.write(data)


def atomic_write_text(text: str, path: str) -> None:
    with atomic_write(path, 'w') as f:
        f.write(text)


def atomic_write_json(obj,
                      path: str,
                      indent: Optional[int] = None,
                      ensure_ascii: bool = True) -> None:
    with atomic_write(path, 'w') as f:
        json.dump(obj, f, indent=indent, ensure_ascii=ensure_ascii)


def atomic_write_image(img, path: str) -> None:
    """Write an image (BGR, as ``cv2.imwrite`` and ``mmcv.imwrite`` take
    it) in the format of ``path``'s extension."""
    import cv2
    why = ''
    try:
        ok, data = cv2.imencode(osp.splitext(path)[1] or '.png', img)
    except cv2.error as e:  # no encoder for the extension, an empty image
        ok, why = False, f': {e}'
    if not ok:
        raise OSError(f'cannot encode an image of shape {img.shape} as '
                      f'{path}{why}')
    atomic_write_bytes(data.tobytes(), path)


# renameat2(2)'s flag that swaps two paths in one step (Linux >= 3.15).
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: str, b: str) -> bool:
    """Swap the paths ``a`` and ``b`` atomically; False where the system
    cannot (no renameat2: not Linux, old glibc, some filesystems)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError, TypeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
        ctypes.c_uint
    ]
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b),
                     _RENAME_EXCHANGE) == 0


def replace_dir(new_dir: str, dst: str) -> None:
    """Put the complete folder ``new_dir`` at ``dst``, removing what was
    there.

    Where the system can swap two paths in one step (Linux), a kill leaves
    either the old folder or the new one at ``dst``. Elsewhere the old
    folder is first renamed aside, so a kill between the two renames leaves
    no ``dst`` but both complete folders beside it, never a mixture.
    """
    if not osp.isdir(new_dir):
        raise NotADirectoryError(new_dir)
    if not osp.lexists(dst):
        os.replace(new_dir, dst)
        return
    if _exchange(new_dir, dst):
        old = new_dir  # the swap put the old folder at new_dir's name
    else:
        old = temp_path_beside(dst, suffix='.old')
        os.remove(old)
        os.replace(dst, old)
        os.replace(new_dir, dst)
    if osp.isdir(old) and not osp.islink(old):
        shutil.rmtree(old)
    else:
        os.remove(old)
