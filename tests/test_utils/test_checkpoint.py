import hashlib
import io
import os
import pickle
import socket

import pytest
import torch
from mmengine.runner import Runner

from mmcsted.utils import (CheckpointDownloadError, CheckpointHashError,
                           download_checkpoint, load_weights)
from ..test_models.utils import make_batch, tiny_model_cfg


class _PackedSamples(torch.utils.data.Dataset):

    def __init__(self, n=4):
        batch = make_batch(n=n, size=32)
        self.items = [
            dict(inputs=i, data_samples=d)
            for i, d in zip(batch['inputs'], batch['data_samples'])
        ]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def _runner(work_dir, max_epochs, resume=False, load_from=None):
    return Runner(
        model=tiny_model_cfg(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=_PackedSamples(),
            batch_size=2,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=True)),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        randomness=dict(seed=0),
        resume=resume,
        load_from=load_from,
        default_scope='mmcsted')


def test_runner_checkpoint_loads_and_resumes_with_weights_only(tmp_path):
    _runner(tmp_path, max_epochs=1).train()
    ckpt = tmp_path / 'epoch_1.pth'
    # The raw file needs more than tensors (what broke mmengine on torch>=2.6).
    unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(str(ckpt))
    assert 'mmengine.logging.history_buffer.HistoryBuffer' in unsafe
    with pytest.raises(pickle.UnpicklingError):
        torch.load(ckpt, weights_only=True)
    # mmcsted's loader reads it, still with weights_only=True.
    state = load_weights(str(ckpt))
    assert state['meta']['epoch'] == 1
    runner = _runner(tmp_path, max_epochs=2, resume=True)
    runner.train()
    assert runner.epoch == 2
    assert (tmp_path / 'epoch_2.pth').exists()


def test_dangerous_getattr_is_still_refused(tmp_path):
    # getattr is allow-listed for HistoryBuffer's statistics methods only:
    # getattr(numpy.dtype, 'mro') (an allowed type, another attribute) fails.
    payload = (b'\x80\x02c__builtin__\ngetattr\ncnumpy\ndtype\n'
               b'X\x03\x00\x00\x00mro\x86R.')
    path = tmp_path / 'evil.pth'
    buf = io.BytesIO()
    torch.save({'x': torch.zeros(1)}, buf)
    import zipfile
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(path, 'w') as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith('data.pkl'):
                data = payload
            dst.writestr(item, data)
    with pytest.raises(RuntimeError, match='only the statistics methods'):
        load_weights(str(path))


def _publish(root, stem, good=True):
    buf = io.BytesIO()
    torch.save({'state_dict': {'w': torch.arange(3.)}}, buf)
    sha = hashlib.sha256(buf.getvalue()).hexdigest()
    name = f'{stem}-{sha[:8] if good else "deadbeef"}.pth'
    (root / name).write_bytes(buf.getvalue())
    return name, sha


def test_download_verifies_the_hash_in_the_name(http_dir, tmp_path):
    root, url = http_dir
    cache = tmp_path / 'cache'
    name, sha = _publish(root, 'model_20261126')
    path = download_checkpoint(
        f'{url}/{name}', cache_dir=str(cache), progress=False)
    assert path.endswith(name)
    # A cached file is reused after its hash is checked again.
    assert download_checkpoint(
        f'{url}/{name}', cache_dir=str(cache), progress=False) == path
    bad_name, _ = _publish(root, 'other_20261126', good=False)
    with pytest.raises(CheckpointHashError, match='expected deadbeef'):
        download_checkpoint(
            f'{url}/{bad_name}', cache_dir=str(cache), progress=False)
    assert not (cache / bad_name).exists()
    assert [p.name for p in cache.iterdir()] == [name]  # no temporary file


def test_download_with_a_metafile_hash_and_mmengine_scheme(
        http_dir, tmp_path, monkeypatch):
    root, url = http_dir
    name, sha = _publish(root, 'plain')
    plain = root / 'plain.pth'
    (root / name).rename(plain)
    with pytest.raises(CheckpointHashError):
        download_checkpoint(
            f'{url}/plain.pth',
            cache_dir=str(tmp_path / 'c'),
            sha256='0' * 64,
            progress=False)
    path = download_checkpoint(
        f'{url}/plain.pth',
        cache_dir=str(tmp_path / 'c'),
        sha256=sha,
        progress=False)
    assert path.endswith('plain.pth')
    # mmengine's own loader (load_from, init_cfg Pretrained) goes through ours.
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    from mmengine.runner.checkpoint import CheckpointLoader
    good_name, _ = _publish(root, 'zoo_20261126')
    ckpt = CheckpointLoader.load_checkpoint(f'{url}/{good_name}')
    torch.testing.assert_close(ckpt['state_dict']['w'], torch.arange(3.))


def test_a_local_file_named_with_a_hash_is_checked(tmp_path):
    """publish_model names files ``...-<sha256[:8]>.pth``: a local file with
    such a name that does not hash to it is refused (renamed, damaged or
    replaced), through load_weights and mmengine's loader alike."""
    from mmengine.runner.checkpoint import CheckpointLoader
    name, sha = _publish(tmp_path, 'model_20261126')
    good = str(tmp_path / name)
    torch.testing.assert_close(
        load_weights(good)['state_dict']['w'], torch.arange(3.))
    bad_name, _ = _publish(tmp_path, 'model_20261127', good=False)
    bad = str(tmp_path / bad_name)
    assert not sha.startswith('deadbeef')
    with pytest.raises(CheckpointHashError, match='expected deadbeef'):
        load_weights(bad)
    with pytest.raises(CheckpointHashError, match='prefix deadbeef'):
        CheckpointLoader.load_checkpoint(bad)
    # a hash given explicitly is the one that counts
    bad_sha = hashlib.sha256(open(bad, 'rb').read()).hexdigest()
    assert load_weights(bad, sha256=bad_sha)['state_dict']['w'].numel() == 3
    # names that merely end in a word are not hashes (see the rule in
    # sha256_prefix_from_filename): too short, not after '-', not hex
    for plain in ('model-beef.pth', 'model_deadbeef.pth',
                  'model-deadbeefx.pth', 'epoch_12.pth'):
        (tmp_path / plain).write_bytes(open(bad, 'rb').read())
        assert load_weights(str(tmp_path /
                                plain))['state_dict']['w'].numel() == 3


def _closed_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_a_failed_download_names_the_url_and_the_offline_place(
        tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    url = f'http://127.0.0.1:{_closed_port()}/zoo/i3d_20220812-e213c223.pth'
    expected_place = os.path.join(torch.hub.get_dir(), 'checkpoints',
                                  'i3d_20220812-e213c223.pth')
    assert expected_place.startswith(str(tmp_path / 'torch'))
    for load in (lambda: load_weights(url),
                 lambda: download_checkpoint(url, progress=False)):
        with pytest.raises(CheckpointDownloadError) as info:
            load()
        msg = str(info.value)
        assert url in msg
        assert expected_place in msg
        assert 'TORCH_HOME' in msg
    assert not [p for p in (tmp_path / 'torch').rglob('*') if p.is_file()]
    # an explicit cache dir (mmengine's model_dir) is the place named
    with pytest.raises(CheckpointDownloadError, match=str(tmp_path / 'mine')):
        download_checkpoint(
            url, cache_dir=str(tmp_path / 'mine'), progress=False)
