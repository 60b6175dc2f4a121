import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest

from mmcsted.utils import atomic_write as aw

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# writes 64 MB in 1 MB pieces, slowly, to the file named on the command line
SLOW_WRITER = '''
import sys, time
from mmcsted.utils.atomic_write import atomic_write
with atomic_write(sys.argv[1]) as f:
    for _ in range(64):
        f.write(b'n' * (1 << 20))
        f.flush()
        time.sleep(0.05)
'''


def test_sigkill_during_a_rewrite_leaves_the_old_file(tmp_path):
    dst = tmp_path / 'model.pth'
    dst.write_bytes(b'old' * 1000)
    proc = subprocess.Popen([sys.executable, '-c', SLOW_WRITER,
                             str(dst)],
                            env=dict(os.environ, PYTHONPATH=REPO))
    deadline = time.time() + 60
    while time.time() < deadline:
        tmp = [p for p in tmp_path.iterdir() if p.name.endswith('.tmp')]
        if tmp and tmp[0].stat().st_size > (4 << 20):
            break
        time.sleep(0.02)
    else:
        proc.kill()
        pytest.fail('the writer never started')
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert dst.read_bytes() == b'old' * 1000


def test_an_error_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    dst = tmp_path / 'vocab.json'
    dst.write_text('["old"]')
    with pytest.raises(RuntimeError):
        with aw.atomic_write(str(dst), 'w') as f:
            f.write('["ne')
            raise RuntimeError('killed by the test')
    assert dst.read_text() == '["old"]'
    assert os.listdir(tmp_path) == ['vocab.json']
    aw.atomic_write_json(['new'], str(dst))
    assert dst.read_text() == '["new"]'
    assert os.listdir(tmp_path) == ['vocab.json']


def test_atomic_path_keeps_the_extension_for_writers_that_take_a_name(
        tmp_path):
    dst = tmp_path / 'clip.mp4'
    dst.write_bytes(b'old')
    with aw.atomic_path(str(dst)) as tmp:
        assert osp.dirname(tmp) == str(tmp_path)
        assert osp.basename(tmp).startswith('.clip.mp4.')
        assert tmp.endswith('.tmp.mp4')
        with open(tmp, 'wb') as f:
            f.write(b'new')
        assert dst.read_bytes() == b'old'
    assert dst.read_bytes() == b'new'
    with pytest.raises(RuntimeError):
        with aw.atomic_path(str(dst)) as tmp:
            with open(tmp, 'wb') as f:
                f.write(b'torn')
            raise RuntimeError('killed by the test')
    assert dst.read_bytes() == b'new'
    assert os.listdir(tmp_path) == ['clip.mp4']


def test_atomic_write_image(tmp_path):
    import cv2
    import numpy as np
    img = np.arange(12 * 10 * 3, dtype=np.uint8).reshape(12, 10, 3)
    aw.atomic_write_image(img, str(tmp_path / 'a' / 'x.png'))
    assert (cv2.imread(str(tmp_path / 'a' / 'x.png')) == img).all()
    (tmp_path / 'y.xyz').write_bytes(b'old')
    with pytest.raises(OSError, match='y.xyz'):
        aw.atomic_write_image(img, str(tmp_path / 'y.xyz'))
    with pytest.raises(OSError, match='shape'):
        aw.atomic_write_image(
            np.zeros((0, 4), np.uint8), str(tmp_path / 'y.xyz'))
    assert (tmp_path / 'y.xyz').read_bytes() == b'old'
    assert sorted(os.listdir(tmp_path)) == ['a', 'y.xyz']


@pytest.mark.parametrize('umask', [0o022, 0o077])
def test_written_files_get_the_permissions_of_a_plain_open(tmp_path, umask):
    # not mkstemp's 0600: a published checkpoint must be readable by others
    old = os.umask(umask)
    try:
        aw.atomic_write_bytes(b'x', str(tmp_path / 'model.pth'))
        with aw.atomic_path(str(tmp_path / 'clip.mp4')):
            pass  # a writer that fills the file it is given
        with open(tmp_path / 'plain', 'wb'):
            pass
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes == dict.fromkeys(['model.pth', 'clip.mp4', 'plain'],
                                  0o666 & ~umask)


def test_atomic_write_refuses_append():
    with pytest.raises(ValueError, match='whole files'):
        with aw.atomic_write('x', 'ab'):
            pass


@pytest.mark.parametrize('exchange', [True, False])
def test_replace_dir(tmp_path, monkeypatch, exchange):
    if not exchange:  # a system without renameat2
        monkeypatch.setattr(aw, '_exchange', lambda a, b: False)
    dst = tmp_path / 'out'
    dst.mkdir()
    (dst / 'old.png').write_bytes(b'old')
    new = tmp_path / '.out.new'
    new.mkdir()
    (new / 'new.png').write_bytes(b'new')
    aw.replace_dir(str(new), str(dst))
    assert os.listdir(dst) == ['new.png']
    assert sorted(os.listdir(tmp_path)) == ['out']
    # into a place where nothing was
    new.mkdir()
    aw.replace_dir(str(new), str(tmp_path / 'fresh'))
    assert sorted(os.listdir(tmp_path)) == ['fresh', 'out']
