import hashlib
import io
import pickle

import pytest
import torch
from mmengine.runner import Runner

from mmcsted.utils import (CheckpointHashError, download_checkpoint,
                           load_weights)
from ..helpers import http_dir  # noqa: F401  (fixture)
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
            dataset=_PackedSamples(), batch_size=2, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=True)),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=1)),
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
    path = download_checkpoint(f'{url}/{name}', cache_dir=str(cache),
                               progress=False)
    assert path.endswith(name)
    # A cached file is reused after its hash is checked again.
    assert download_checkpoint(f'{url}/{name}', cache_dir=str(cache),
                               progress=False) == path
    bad_name, _ = _publish(root, 'other_20261126', good=False)
    with pytest.raises(CheckpointHashError, match='expected deadbeef'):
        download_checkpoint(f'{url}/{bad_name}', cache_dir=str(cache),
                            progress=False)
    assert not (cache / bad_name).exists()
    assert not list(cache.glob('*.partial'))


def test_download_with_a_metafile_hash_and_mmengine_scheme(http_dir, tmp_path,
                                                           monkeypatch):
    root, url = http_dir
    name, sha = _publish(root, 'plain')
    plain = root / 'plain.pth'
    (root / name).rename(plain)
    with pytest.raises(CheckpointHashError):
        download_checkpoint(f'{url}/plain.pth', cache_dir=str(tmp_path / 'c'),
                            sha256='0' * 64, progress=False)
    path = download_checkpoint(f'{url}/plain.pth', cache_dir=str(tmp_path /
                                                                 'c'),
                               sha256=sha, progress=False)
    assert path.endswith('plain.pth')
    # mmengine's own loader (load_from, init_cfg Pretrained) goes through ours.
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    from mmengine.runner.checkpoint import CheckpointLoader
    good_name, _ = _publish(root, 'zoo_20261126')
    ckpt = CheckpointLoader.load_checkpoint(f'{url}/{good_name}')
    torch.testing.assert_close(ckpt['state_dict']['w'], torch.arange(3.))
