import glob
import hashlib
import io
import os.path as osp
import runpy
import shutil
import sys

import pytest
import torch
import yaml

from mmcsted.apis import (init_model, load_metafile, model_zoo,
                          resolve_checkpoint, resolve_config)
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
            dict(
                Collections=[dict(Name='CSTED')],
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
    assert torch.load(
        path, weights_only=True)['state_dict']['w'].shape == (3, )
    with pytest.raises(CheckpointHashError, match='expected deadbeef'):
        resolve_checkpoint('bad', metafile=meta)
    assert not osp.exists(osp.join(osp.dirname(path), bad))
    # the `Hash` field of the metafile, full or prefix
    assert resolve_checkpoint('plain_ok', metafile=meta).endswith(plain)
    with pytest.raises(CheckpointHashError):
        resolve_checkpoint('plain_wrong', metafile=meta)
    with pytest.raises(FileNotFoundError, match='no published weights'):
        resolve_checkpoint('none', metafile=meta)
    with pytest.raises(FileNotFoundError, match='the main job'):
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
        assert osp.isfile(osp.join(model_zoo.config_root(),
                                   entry['Config'])), name
        for res in entry.get('Results', []):
            assert res['Task'] == \
                'Language-queried Video Actor Segmentation'
            if entry['Weights'] is None:  # results without weights: paper's
                assert entry['Metadata']['Results Source'].startswith(
                    'paper'), name


def test_model_index_imports_the_metafile_and_lists_every_config():
    root = model_zoo.config_root()
    with open(osp.join(root, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    assert index['Import'] == ['configs/csted/metafile.yml']
    models = load_metafile()
    listed = {entry['Config'] for entry in models.values()}
    # every paper / ablation / CSTM config is a zoo entry (mim lists them)
    for path in glob.glob(osp.join(root, 'configs/csted/*.py')) + glob.glob(
            osp.join(root, 'configs/csted/ablations/*.py')):
        assert osp.relpath(path, root) in listed, path
    for name, entry in models.items():
        assert resolve_config(name) == osp.join(root, entry['Config'])
        assert osp.samefile(
            resolve_config(entry['Config']), osp.join(root, entry['Config']))
    with pytest.raises(FileNotFoundError, match='model-zoo name'):
        resolve_config('surely_no_such_model')


def _installed_layout(tmp_path):
    """An installed mmcsted: the package folder with .mim/{configs,
    model-index.yml} and no checkout around it."""
    package = tmp_path / 'site-packages' / 'mmcsted'
    (package / '.mim' / 'configs' / 'csted').mkdir(parents=True)
    (package / '.mim' / 'configs' / 'csted' / 'metafile.yml').write_text(
        yaml.safe_dump(
            dict(Models=[
                dict(
                    Name='packaged_model',
                    Config='configs/csted/packaged.py',
                    Weights='checkpoints/packaged.pth')
            ])))
    (package / '.mim' / 'configs' / 'csted' /
     'packaged.py').write_text('model = dict()\n')
    return package


def test_installed_package_finds_its_packaged_configs(tmp_path, monkeypatch):
    package = _installed_layout(tmp_path)
    monkeypatch.setattr(model_zoo, 'PACKAGE_DIR', str(package))
    mim_dir = str(package / '.mim')
    assert model_zoo.config_root() == mim_dir
    assert set(load_metafile()) == {'packaged_model'}
    assert resolve_config('packaged_model') == osp.join(
        mim_dir, 'configs/csted/packaged.py')
    assert resolve_config('configs/csted/packaged.py') == osp.join(
        mim_dir, 'configs/csted/packaged.py')
    # local weights: relative to the working directory, not the package
    work = tmp_path / 'work'
    (work / 'checkpoints').mkdir(parents=True)
    monkeypatch.chdir(work)
    with pytest.raises(FileNotFoundError, match='the main job'):
        resolve_checkpoint('packaged_model')
    (work / 'checkpoints' / 'packaged.pth').write_bytes(b'x')
    assert resolve_checkpoint('packaged_model') == str(work / 'checkpoints' /
                                                       'packaged.pth')


def test_checkout_configs_come_before_the_copies_of_a_build(
        tmp_path, monkeypatch):
    # `pip wheel .` / `pip install .` in a checkout leaves copies in its
    # mmcsted/.mim: the checkout's own configs (the ones edited) are used
    package = _installed_layout(tmp_path)
    monkeypatch.setattr(model_zoo, 'PACKAGE_DIR', str(package))
    checkout = package.parent
    (checkout / 'configs' / 'csted').mkdir(parents=True)
    (checkout / 'configs' / 'csted' / 'metafile.yml').write_text(
        yaml.safe_dump(
            dict(Models=[
                dict(Name='edited_model', Config='configs/csted/edited.py')
            ])))
    (checkout / 'model-index.yml').write_text('Import: []\n')
    assert model_zoo.config_root() == str(package / '.mim')  # no setup.py
    (checkout / 'setup.py').write_text('')
    assert model_zoo.config_root() == str(checkout)
    assert set(load_metafile()) == {'edited_model'}


def test_init_model_finds_the_config_of_an_installed_package(
        tmp_path, monkeypatch):
    # a zoo name or a path under the configs' root, as for resolve_config:
    # outside the repository, only the package's .mim has the configs
    from mmcsted.apis.inference import model as inference_model
    package = _installed_layout(tmp_path)
    monkeypatch.setattr(model_zoo, 'PACKAGE_DIR', str(package))
    monkeypatch.chdir(tmp_path)
    read = []

    def fromfile(path):
        read.append(path)
        raise StopIteration  # the config is found: stop before building

    monkeypatch.setattr(inference_model.Config, 'fromfile', fromfile)
    packaged = str(package / '.mim' / 'configs/csted/packaged.py')
    for config in ('packaged_model', 'configs/csted/packaged.py'):
        with pytest.raises(StopIteration):
            init_model(config)
    assert read == [packaged, packaged]
    with pytest.raises(FileNotFoundError, match='model-zoo name'):
        init_model('configs/csted/absent.py')


@pytest.mark.parametrize('command, linked', [('bdist_wheel', False),
                                             ('editable_wheel', True)])
def test_setup_puts_configs_tools_and_index_into_mim(tmp_path, monkeypatch,
                                                     command, linked):
    repo = osp.dirname(model_zoo.PACKAGE_DIR)
    for name in ('configs', 'tools'):
        shutil.copytree(osp.join(repo, name), tmp_path / name)
    for name in ('model-index.yml', 'setup.py'):
        shutil.copy(osp.join(repo, name), tmp_path / name)
    (tmp_path / 'mmcsted').mkdir()
    setup_py = runpy.run_path(str(tmp_path / 'setup.py'))
    monkeypatch.setattr(sys, 'argv', ['setup.py', command])
    setup_py['populate_mim_folder']()
    mim_dir = tmp_path / 'mmcsted' / '.mim'
    for name in ('configs', 'tools', 'model-index.yml'):
        assert osp.islink(mim_dir / name) == linked, name
    assert (mim_dir / 'configs' / 'csted' / 'metafile.yml').is_file()
    assert (mim_dir / 'tools' / 'test.py').is_file()
    assert (mim_dir /
            'model-index.yml').read_text() == (tmp_path /
                                               'model-index.yml').read_text()


def test_metafile_header_says_what_the_entries_hold():
    """The header's claims (which blocks are paper figures, which are
    measured, which entries have weights) hold for every entry."""
    path = osp.join(model_zoo.config_root(), 'configs', 'csted',
                    'metafile.yml')
    with open(path) as f:
        header = ''.join(line for line in f if line.startswith('#'))
    measured = sorted(
        name for name, entry in load_metafile().items()
        if entry['Metadata']['Results Source'].startswith('measured'))
    assert measured == [
        'csted_tiny_quick-pretrained_frozen-3d_synthetic',
        'csted_tiny_synthetic'
    ]
    for name in measured:
        assert f'`{name}`' in header.replace('\n# ', ' ')
    for name, entry in load_metafile().items():
        source = entry['Metadata']['Results Source']
        assert (entry['Weights'] is not None) == (name in measured), name
        if source.startswith('none'):
            assert not entry.get('Results'), name
        else:
            assert source.startswith(('paper', 'measured')), name
    assert "except `csted_tiny_synthetic`'s" not in header
