"""Configs inherit the backbone configs of mmpretrain and mmaction2.

mmengine lets a config inherit at most one base that defines ``model``, so
the paper model takes mmpretrain's Inception V3 config as its base and the
variants that swap a backbone state theirs: these tests hold those written
backbones to the stack's own configs.
"""
import os.path as osp

import pytest
from mmengine.config import Config

from mmcsted.utils import install_stack_workarounds

# lets mmengine read mmaction2's configs (conftest's register_all_modules
# does it too; said here for the reader)
install_stack_workarounds()


def external_base(tmp_path, base):
    """A stack config such as ``'mmaction::_base_/models/i3d_r50.py'``,
    loaded the way our configs inherit it (as a ``_base_``)."""
    path = tmp_path / 'inherits_external.py'
    path.write_text(f'_base_ = [{base!r}]\n')
    return Config.fromfile(str(path))


def test_mmaction_base_configs_load(tmp_path):
    # mmaction2 1.1.0's list-valued metafile `Config` used to stop this
    # (mmcsted/utils/external_configs.py)
    cfg = external_base(tmp_path, 'mmaction::_base_/models/i3d_r50.py')
    assert cfg.model.type == 'Recognizer3D'
    assert cfg.model.backbone.type == 'ResNet3d'
    assert cfg.model.backbone.depth == 50


def test_paper_model_takes_mmpretrain_inception_v3(tmp_path):
    theirs = external_base(
        tmp_path, 'mmpretrain::_base_/models/inception_v3.py').model.backbone
    ours = Config.fromfile('configs/_base_/models/csted_iv3_i3d.py').model
    assert ours.type == 'CSTED'  # the classifier is replaced, not merged
    assert '_scope_' not in ours
    backbone = ours.spatial_encoder.backbone.backbone
    assert backbone == dict(theirs, type='mmpretrain.InceptionV3')


def test_cstm_model_takes_mmpretrain_resnet50(tmp_path):
    theirs = external_base(
        tmp_path, 'mmpretrain::_base_/models/resnet50.py').model.backbone
    ours = Config.fromfile('configs/_base_/models/csted_r50_i3d_cstm.py').model
    assert ours.type == 'CSTED'
    assert ours.spatial_encoder.backbone.backbone == dict(
        theirs, type='mmpretrain.ResNet')


# Keys where a written backbone deliberately differs from the stack's config:
# the type names its package, StagedBackbone loads the whole recognizer
# checkpoint itself (so no `pretrained`), and one device has no SyncBN.
DELIBERATE = {'type', 'pretrained', 'pretrained2d', 'norm_cfg'}


@pytest.mark.parametrize('wrapper, variable, base', [
    ('configs/_base_/models/i3d_r3d50_backbone.py', 'i3d_r3d50_backbone',
     'mmaction::_base_/models/i3d_r50.py'),
    ('configs/_base_/models/r2plus1d_r34_backbone.py', 'r2plus1d_backbone',
     'mmaction::_base_/models/r2plus1d_r34.py'),
])
def test_written_3d_backbones_match_mmaction(tmp_path, wrapper, variable,
                                             base):
    theirs = external_base(tmp_path, base).model.backbone
    ours = Config.fromfile(wrapper)[variable].backbone
    assert ours.type == 'mmaction.' + theirs.type
    for key, value in ours.items():
        if key in DELIBERATE:
            continue
        assert key in theirs and theirs[key] == value, (wrapper, key)
    # what mmaction2 sets and we leave out must be the backbone's default
    for key in set(theirs) - set(ours) - DELIBERATE:
        assert key in ('conv_cfg', 'norm_eval'), (wrapper, key)
    if 'norm_cfg' in ours:
        assert ours.norm_cfg.type == 'BN3d'
        assert ours.norm_cfg.eps == theirs.norm_cfg.eps


@pytest.mark.parametrize('config', [
    'configs/csted/csted_r50_i3d_a2d.py',
    'configs/csted/ablations/csted_r50_s3d_a2d.py',
])
def test_written_resnet50_matches_mmpretrain(tmp_path, config):
    theirs = external_base(
        tmp_path, 'mmpretrain::_base_/models/resnet50.py').model.backbone
    ours = Config.fromfile(config).model.spatial_encoder.backbone.backbone
    assert ours.type == 'mmpretrain.' + theirs.type
    assert ours.depth == theirs.depth


def test_tiny_model_inherits_the_paper_model():
    paper = Config.fromfile('configs/_base_/models/csted_iv3_i3d.py').model
    tiny = Config.fromfile('configs/_base_/models/csted_tiny.py').model
    # inherited, not restated
    for path in ('type', 'clip_len', 'data_preprocessor', 'test_cfg',
                 'decode_head.fusion', 'decode_head.deep_supervision',
                 'decode_head.loss_decode', 'spatial_encoder.cmam_stages',
                 'temporal_encoder.cmam.with_coord'):
        a, b = paper, tiny
        for key in path.split('.'):
            a, b = a[key], b[key]
        assert a == b, path
    # overridden wholly: none of the paper's pretrained / GloVe options leak
    assert 'glove_file' not in tiny.spatial_encoder.text_encoder
    assert 'init_cfg' not in tiny.temporal_encoder.backbone
    assert 'renormalize' not in tiny.spatial_encoder.backbone
    assert tiny.decode_head.channels == 32


def test_synthetic_data_inherits_a2d():
    a2d = Config.fromfile('configs/_base_/datasets/a2d_sentences.py')
    syn = Config.fromfile('configs/_base_/datasets/synthetic_a2d.py')
    for split in ('train', 'val', 'test'):
        a = a2d[f'{split}_dataloader']
        s = syn[f'{split}_dataloader']
        assert s.dataset.type == a.dataset.type
        assert s.dataset.data_root == 'data/synthetic_a2d'
        assert s.batch_size == a.batch_size and s.num_workers == 2
        # the same steps, at 64 px and stride 1
        steps_a = [t.type for t in a.dataset.pipeline]
        assert [t.type for t in s.dataset.pipeline] == steps_a
        for t in s.dataset.pipeline:
            if t.type == 'ResizePadSquare':
                assert t.size == 64
            if t.type == 'SampleClipAroundFrame':
                assert (t.clip_len, t.frame_interval) == (8, 1)
    assert syn.val_evaluator == a2d.val_evaluator
    assert osp.basename(syn.vocab_file) == 'vocab.json'
