import os
import os.path as osp
import subprocess
import sys

from mmengine.fileio import get_file_backend
from mmengine.fileio.backends import backends as mmengine_backends

from mmcsted.engine.hooks import AtomicCheckpointHook, AtomicLocalBackend
from mmcsted.engine.hooks.checkpoint_hook import ATOMIC_LOCAL_BACKEND
from mmcsted.utils import atomic_write

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def test_import_registers_no_storage_backend():
    code = ('import mmcsted.engine\n'
            'from mmengine.fileio.backends import backends\n'
            f'assert {ATOMIC_LOCAL_BACKEND!r} not in backends\n')
    subprocess.run([sys.executable, '-c', code],
                   check=True,
                   env=dict(os.environ, PYTHONPATH=REPO))


def test_hook_writes_through_the_atomic_backend(tmp_path):
    hook = AtomicCheckpointHook(interval=1)
    assert mmengine_backends[ATOMIC_LOCAL_BACKEND] is AtomicLocalBackend
    backend = get_file_backend(str(tmp_path), backend_args=hook.backend_args)
    assert isinstance(backend, AtomicLocalBackend)
    # a remote out_dir keeps mmengine's choice of backend
    assert AtomicCheckpointHook(out_dir='s3://bucket/x').backend_args is None


def test_atomic_backend_writes_through_a_temporary_name(tmp_path, monkeypatch):
    seen = []
    real = atomic_write.os.replace
    monkeypatch.setattr(atomic_write.os, 'replace', lambda a, b: seen.append(
        (a, b)) or real(a, b))
    backend = AtomicLocalBackend()
    dst = tmp_path / 'epoch_1.pth'
    backend.put(b'new', str(dst))
    backend.put_text(str(dst), str(tmp_path / 'last_checkpoint'))
    assert dst.read_bytes() == b'new'
    assert [osp.basename(b)
            for _, b in seen] == ['epoch_1.pth', 'last_checkpoint']
    assert all(osp.dirname(a) == str(tmp_path) for a, _ in seen)
    assert sorted(os.listdir(tmp_path)) == ['epoch_1.pth', 'last_checkpoint']
