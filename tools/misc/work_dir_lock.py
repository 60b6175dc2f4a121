"""One training run per work dir.

Two runs in one work dir would share a log folder (mmengine names it by the
start second) and ``scalars.json``, and overwrite each other's
``epoch_*.pth``. :func:`hold_work_dir` takes an exclusive ``flock`` on
``<work_dir>/.train.lock`` for the life of the run: the operating system
drops it when the process ends, however it ends, so a lock file left by a
dead run is free to take. The file names the holder (pid, host, start time)
for the error a second run gets.
"""
import contextlib
import datetime
import fcntl
import json
import os
import os.path as osp
import socket
import warnings
from typing import Iterator

LOCK_NAME = '.train.lock'


class WorkDirBusyError(RuntimeError):
    """Another live run holds the work dir."""


def _holder_text(text: str) -> str:
    try:
        holder = json.loads(text)
        return (f'pid {holder["pid"]} on {holder["host"]}, started '
                f'{holder["started"]}')
    except (ValueError, KeyError, TypeError):
        return 'an unknown process'


@contextlib.contextmanager
def hold_work_dir(work_dir: str) -> Iterator[str]:
    """Hold ``work_dir`` for one run; raise :class:`WorkDirBusyError` naming
    the holder when a live run has it. Yields the lock file's path.

    Only the launching process of a run should call it (rank 0 under
    torchrun): the other ranks of the same run share the work dir.
    """
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, LOCK_NAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        previous = os.read(fd, 4096).decode('utf-8', 'replace')
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WorkDirBusyError(
                f'work dir {work_dir} is in use by another training run '
                f'({_holder_text(previous)}). Wait for it, stop it, or give '
                'this run another --work-dir.') from None
        if previous.strip():
            warnings.warn(f'{path}: taking over the lock of a run that '
                          f'ended without releasing it '
                          f'({_holder_text(previous)})')
        me = dict(
            pid=os.getpid(),
            host=socket.gethostname(),
            started=datetime.datetime.now().isoformat(timespec='seconds'))
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
        try:
            yield path
        finally:
            # emptied, not removed: removing would let a third run lock a
            # new file while a second one still waits on this one's inode
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def launching_rank(launcher: str) -> bool:
    """Whether this process is the one of its run that holds the work dir:
    every process without a launcher, rank 0 under torchrun / slurm / mpi.
    """
    if launcher == 'none':
        return True
    for var in ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK'):
        if var in os.environ:
            return os.environ[var] == '0'
    return True
