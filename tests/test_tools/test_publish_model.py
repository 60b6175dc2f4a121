import hashlib
import re

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

from mmcsted.apis import init_model
from tests.helpers import TINY_SYNTHETIC_CONFIG, load_script

publish_model = load_script('tools/model_converters/publish_model.py')


def _training_checkpoint(path, model):
    buf = HistoryBuffer()
    buf.update(0.5)
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(
                epoch=np.int64(12),
                iter=np.int64(480),
                best_score=np.float32(0.61),
                seed=np.int64(0),
                shape=np.arange(3),
                dataset_meta=dict(actor_classes=('circle', 'square')),
                cfg='model = dict(type="CSTED")'),
            optimizer=dict(state={}, param_groups=[dict(lr=1e-3)]),
            message_hub=dict(log_scalars=dict(loss=buf)),
            param_schedulers=[dict(last_epoch=np.int64(12))]), path)


def test_publish_strips_and_names_with_the_hash(tmp_path, tiny_model, capsys):
    src = tmp_path / 'epoch_12.pth'
    _training_checkpoint(src, tiny_model)
    with pytest.raises(Exception):  # numpy / HistoryBuffer in the pickle
        torch.load(src, weights_only=True)
    assert publish_model.main(
        [str(src), str(tmp_path / 'out' / 'csted_tiny_20261126')]) == 0
    out = list((tmp_path / 'out').iterdir())
    assert len(out) == 1
    m = re.fullmatch(r'csted_tiny_20261126-([0-9a-f]{8})\.pth', out[0].name)
    assert m, out[0].name
    sha = hashlib.sha256(out[0].read_bytes()).hexdigest()
    assert sha.startswith(m.group(1))
    printed = capsys.readouterr().out
    assert f'sha256: {sha}' in printed and 'optimizer' in printed

    ckpt = torch.load(out[0], weights_only=True)  # plain torch, no allow-list
    assert set(ckpt) == {'state_dict', 'meta'}
    meta = ckpt['meta']
    assert meta['epoch'] == 12 and type(meta['epoch']) is int
    assert type(meta['best_score']) is float
    assert meta['shape'] == [0, 1, 2]
    assert meta['dataset_meta']['actor_classes'] == ('circle', 'square')
    for k, v in tiny_model.state_dict().items():
        if isinstance(v, torch.Tensor):
            torch.testing.assert_close(ckpt['state_dict'][k], v)

    # the published file loads into the model (vocabulary included)
    model = init_model(TINY_SYNTHETIC_CONFIG, str(out[0]))
    assert model.checkpoint_report['missing'] == []
    assert model.dataset_meta['actor_classes'] == ('circle', 'square')


def test_publish_refuses_a_file_without_weights(tmp_path):
    torch.save({'meta': {}}, tmp_path / 'empty.pth')
    with pytest.raises(ValueError, match='no weights'):
        publish_model.publish(
            str(tmp_path / 'empty.pth'), str(tmp_path / 'x'), verbose=False)
    assert not list(tmp_path.glob('x*'))


def test_to_plain_converts_and_reports():
    notes = []
    out = publish_model.to_plain(
        dict(
            a=np.float64(1.5), b=[np.int32(2), (np.bool_(True), )],
            c=object()), 'meta', notes)
    assert out['a'] == 1.5 and type(out['b'][0]) is int
    assert out['b'][1] == (True, )
    assert isinstance(out['c'], str) and notes == ['meta.c (object)']
