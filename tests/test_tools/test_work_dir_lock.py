import os
import os.path as osp
import signal
import socket
import subprocess
import sys
import time

import pytest

from tools.misc.work_dir_lock import (LOCK_NAME, WorkDirBusyError,
                                      hold_work_dir, launching_rank)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

HOLDER = '''
import sys, time
from tools.misc.work_dir_lock import hold_work_dir
with hold_work_dir(sys.argv[1]):
    print('held', flush=True)
    time.sleep(60)
'''


def _start_holder(work_dir):
    proc = subprocess.Popen([sys.executable, '-c', HOLDER, work_dir],
                            stdout=subprocess.PIPE,
                            text=True,
                            env=dict(os.environ, PYTHONPATH=REPO))
    assert proc.stdout.readline().strip() == 'held'
    return proc


def test_a_live_run_holds_the_work_dir(tmp_path):
    proc = _start_holder(str(tmp_path))
    try:
        with pytest.raises(WorkDirBusyError) as err:
            with hold_work_dir(str(tmp_path)):
                pass
        msg = str(err.value)
        assert f'pid {proc.pid} on {socket.gethostname()}, started' in msg
        assert '--work-dir' in msg
    finally:
        proc.kill()
        proc.wait()


def test_a_dead_runs_lock_is_taken_over_with_a_warning(tmp_path):
    proc = _start_holder(str(tmp_path))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with pytest.warns(UserWarning, match=f'pid {proc.pid}'):
        with hold_work_dir(str(tmp_path)):
            pass
    # a run that ended cleanly leaves nothing to take over
    with hold_work_dir(str(tmp_path)) as path:
        assert osp.basename(path) == LOCK_NAME
    assert open(path).read() == ''


def test_only_the_launching_rank_holds(monkeypatch):
    assert launching_rank('none')
    monkeypatch.setenv('RANK', '1')
    assert not launching_rank('pytorch')
    monkeypatch.setenv('RANK', '0')
    assert launching_rank('pytorch')


def test_holding_takes_no_time(tmp_path):
    # two runs started in the same second: the second is refused at once
    start = time.time()
    with hold_work_dir(str(tmp_path)):
        with pytest.raises(WorkDirBusyError):
            with hold_work_dir(str(tmp_path)):
                pass
    assert time.time() - start < 5
