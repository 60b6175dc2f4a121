"""dist_*.sh / slurm_*.sh run the interpreter that tools/python_for_tools.sh
picks: $PYTHON, else an active environment's python, else the repository's
.venv, else python. A stub interpreter records what it was asked to run."""
import os
import os.path as osp
import shutil
import stat
import subprocess

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _stub(path, record):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(f'#!/bin/sh\necho "$0 $@" >> {record}\n')
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
    return path


def _env(**extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ('PYTHON', 'VIRTUAL_ENV', 'CONDA_PREFIX')
    }
    env.update(extra)
    return env


@pytest.mark.parametrize('script, args', [
    ('dist_train.sh', ['cfg.py', '2', '--no-validate']),
    ('dist_test.sh', ['cfg.py', 'ckpt.pth', '2', '--out', 'r.json']),
])
def test_dist_scripts_honour_PYTHON(tmp_path, script, args):
    record = tmp_path / 'calls.txt'
    python = _stub(str(tmp_path / 'bin' / 'mypython'), record)
    subprocess.run(['bash', osp.join('tools', script), *args],
                   cwd=REPO,
                   env=_env(PYTHON=python),
                   check=True)
    call = record.read_text().split()
    assert call[0] == python
    assert call[1:3] == ['-m', 'torch.distributed.run']
    assert '--nproc_per_node=2' in call
    assert call[-1] == args[-1] and '--launcher' in call


def test_scripts_fall_back_to_the_repository_venv(tmp_path):
    # a copy of tools/ beside a .venv, as after the README's install
    tools = tmp_path / 'repo' / 'tools'
    tools.mkdir(parents=True)
    for name in ('dist_train.sh', 'python_for_tools.sh'):
        shutil.copy(osp.join(REPO, 'tools', name), tools / name)
    record = tmp_path / 'calls.txt'
    venv_python = _stub(
        str(tmp_path / 'repo' / '.venv' / 'bin' / 'python'), record)
    path_python = _stub(str(tmp_path / 'path' / 'python'), record)
    path = f'{osp.dirname(path_python)}{os.pathsep}{os.environ["PATH"]}'
    subprocess.run(
        ['bash', str(tools / 'dist_train.sh'), 'cfg.py', '1'],
        env=_env(PATH=path),
        check=True)
    assert record.read_text().split()[0] == venv_python
    # an activated environment wins over the repository's .venv
    record.unlink()
    subprocess.run(
        ['bash', str(tools / 'dist_train.sh'), 'cfg.py', '1'],
        env=_env(PATH=path, VIRTUAL_ENV='/some/env'),
        check=True)
    assert record.read_text().split()[0] == path_python


def test_scripts_take_python3_where_there_is_no_python(tmp_path):
    # no .venv beside tools/, no active environment, only `python3` on PATH
    tools = tmp_path / 'repo' / 'tools'
    tools.mkdir(parents=True)
    for name in ('dist_test.sh', 'python_for_tools.sh'):
        shutil.copy(osp.join(REPO, 'tools', name), tools / name)
    record = tmp_path / 'calls.txt'
    python3 = _stub(str(tmp_path / 'path' / 'python3'), record)
    bins = tmp_path / 'bins'  # what the script needs besides python3
    bins.mkdir()
    for tool in ('dirname', 'basename'):
        os.symlink(shutil.which(tool), bins / tool)
    path = f'{osp.dirname(python3)}{os.pathsep}{bins}'
    subprocess.run(
        ['/bin/bash',
         str(tools / 'dist_test.sh'), 'cfg.py', 'c.pth', '1'],
        env=_env(PATH=path),
        check=True)
    assert record.read_text().split()[0] == python3
    # nothing at all: one clear line, not "python: command not found"
    proc = subprocess.run(
        ['/bin/bash',
         str(tools / 'dist_test.sh'), 'cfg.py', 'c.pth', '1'],
        env=_env(PATH=str(bins)),
        capture_output=True,
        text=True)
    assert proc.returncode == 1
    assert 'no Python found' in proc.stderr
