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
