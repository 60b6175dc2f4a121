import hashlib
import io
import os.path as osp

import pytest
import torch
import yaml

from mmcsted.apis import load_metafile, resolve_checkpoint
from mmcsted.apis.model_zoo import REPO_ROOT
from mmcsted.utils import CheckpointHashError


def _serve(root, stem, good=True):
    buf = io.BytesIO()
    torch.save({'state_dict': {'w': torch.arange(3.)}}, buf)
    sha = hashlib.sha256(buf.getvalue()).hexdigest()
    name = f'{stem}-{sha[:8] if good else "deadbeef"}.pth'
    (root / name).write_bytes(buf.getvalue())
    return name, sha


def _metafile(path, models):
    path.write_text(
        yaml.safe_dump(
            dict(Collections=[dict(Name='CSTED')],
                 Models=[
                     dict(
                         {
                             'Name': n,
                             'In Collection': 'CSTED',
                             'Config': 'x.py'
                         }, **entry) for n, entry in models.items()
                 ])))
    return str(path)


def test_zoo_name_downloads_and_checks_the_hash(http_dir, tmp_path,
                                                monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    root, url = http_dir
    good, sha = _serve(root, 'good_20261126')
    bad, _ = _serve(root, 'bad_20261126', good=False)
    plain, plain_sha = _serve(root, 'plain')
    meta = _metafile(
        tmp_path / 'metafile.yml', {
            'good': dict(Weights=f'{url}/{good}'),
            'bad': dict(Weights=f'{url}/{bad}'),
            'plain_ok': dict(Weights=f'{url}/{plain}', Hash=sha),
            'plain_wrong': dict(Weights=f'{url}/{plain}', Hash='0' * 64),
            'none': dict(Weights=None),
            'local': dict(Weights='checkpoints/surely_absent_model.pth'),
        })
    path = resolve_checkpoint('good', metafile=meta)
    assert path.startswith(str(tmp_path / 'torch')) and path.endswith(good)
    assert torch.load(path,
                      weights_only=True)['state_dict']['w'].shape == (3, )
    with pytest.raises(CheckpointHashError, match='expected deadbeef'):
        resolve_checkpoint('bad', metafile=meta)
    assert not osp.exists(osp.join(osp.dirname(path), bad))
    # the `Hash` field of the metafile, full or prefix
    assert resolve_checkpoint('plain_ok', metafile=meta).endswith(plain)
    with pytest.raises(CheckpointHashError):
        resolve_checkpoint('plain_wrong', metafile=meta)
    with pytest.raises(FileNotFoundError, match='no released weights'):
        resolve_checkpoint('none', metafile=meta)
    with pytest.raises(FileNotFoundError, match='quick-start'):
        resolve_checkpoint('local', metafile=meta)
    with pytest.raises(FileNotFoundError, match='zoo models: bad, good'):
        resolve_checkpoint('unknown', metafile=meta)


def test_repository_metafile():
    models = load_metafile()
    assert 'csted_tiny_synthetic' in models
    tiny = models['csted_tiny_synthetic']
    assert tiny['Weights'] == 'checkpoints/csted_tiny_synthetic.pth'
    paper = models['csted_iv3_i3d_two-stage_a2d']
    assert paper['Weights'] is None
    assert paper['Metadata']['Results Source'].startswith('paper')
    metrics = paper['Results'][0]['Metrics']
    assert metrics['AP_paper'] == 39.9 and metrics['mIoU'] == 56.1
    assert models['csted_iv3_i3d_jhmdb']['Results'][0]['Dataset'] == \
        'J-HMDB Sentences'
    for name, entry in models.items():
        assert osp.isfile(osp.join(REPO_ROOT, entry['Config'])), name
        for res in entry.get('Results', []):
            assert res['Task'] == \
                'Language-queried Video Actor Segmentation'
            if entry['Weights'] is None:  # results without weights: paper's
                assert entry['Metadata']['Results Source'].startswith(
                    'paper'), name
