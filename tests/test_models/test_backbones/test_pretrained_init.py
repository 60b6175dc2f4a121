"""``init_cfg=dict(type='Pretrained', ...)`` through mmengine's initializer
machinery, resolved to mmcsted's checked initializer, and its report of
missing / unexpected / shape-mismatched keys."""
import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmengine.registry import DefaultScope

from mmcsted.models.backbones import CheckedPretrainedInit, StagedBackbone
from mmcsted.models.backbones import pretrained as pretrained_module
from mmcsted.registry import WEIGHT_INITIALIZERS

R2D_TINY = dict(
    type='mmpretrain.ResNet', depth=18, stem_channels=8, base_channels=8)


class _TwoLayers(BaseModule):
    """A module that knows nothing about mmcsted's initializer."""

    def __init__(self, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.a = nn.Linear(2, 3)
        self.b = nn.Linear(3, 4)


def _classifier_checkpoint(tmp_path):
    """An mmpretrain classifier checkpoint (``backbone.*``, ``head.*``)."""
    from mmcsted.registry import MODELS
    src = MODELS.build(dict(R2D_TINY, _scope_='mmpretrain', type='ResNet'))
    for p in src.parameters():
        nn.init.normal_(p)
    state = {f'backbone.{k}': v for k, v in src.state_dict().items()}
    state['head.fc.weight'] = torch.zeros(5, 64)
    path = tmp_path / 'classifier.pth'
    torch.save({'state_dict': state}, path)
    return str(path), src


def test_pretrained_resolves_to_the_checked_initializer():
    assert WEIGHT_INITIALIZERS.get('Pretrained') is CheckedPretrainedInit
    # mmcsted's modules pin the scope, and keep the type mmengine runs last
    bb = StagedBackbone(
        R2D_TINY, init_cfg=dict(type='Pretrained', checkpoint='x.pth'))
    assert bb.init_cfg == dict(
        type='Pretrained', checkpoint='x.pth', _scope_='mmcsted')


@pytest.mark.parametrize('scope', ['mmcsted', 'mmengine'])
def test_staged_backbone_loads_through_mmengine_init_weights(
        tmp_path, monkeypatch, scope):
    path, src = _classifier_checkpoint(tmp_path)
    reports = []
    fit = pretrained_module.checkpoint_fit

    def checkpoint_fit(*args, **kwargs):  # the checked initializer's report
        reports.append(fit(*args, **kwargs))
        return reports[-1]

    monkeypatch.setattr(pretrained_module, 'checkpoint_fit', checkpoint_fit)
    with DefaultScope.overwrite_default_scope(scope):
        bb = StagedBackbone(
            R2D_TINY,
            init_cfg=dict(
                type='Pretrained', checkpoint=path, prefix='backbone.'))
        bb.init_weights()
    for k, v in src.state_dict().items():
        torch.testing.assert_close(bb.backbone.state_dict()[k], v)
    assert reports == [dict(missing=[], unexpected=[], mismatched=[])]


def test_a_foreign_module_gets_the_checked_initializer_in_mmcsted_scope(
        tmp_path):
    """mmengine's own Pretrained would warn and go on; in the mmcsted scope a
    checkpoint that fits nothing is an error."""
    torch.save({'state_dict': {
        'c.weight': torch.zeros(1)
    }}, tmp_path / 'other.pth')
    module = _TwoLayers(
        init_cfg=dict(
            type='Pretrained', checkpoint=str(tmp_path / 'other.pth')))
    with DefaultScope.overwrite_default_scope('mmcsted'):
        with pytest.raises(RuntimeError, match='no weight that fits'):
            module.init_weights()


def test_the_report_names_missing_unexpected_and_reshaped_keys(
        tmp_path, monkeypatch):
    logs = []
    monkeypatch.setattr(pretrained_module, 'print_log',
                        lambda msg, **kw: logs.append(msg))
    module = _TwoLayers()
    torch.save(
        {
            'a.weight': torch.ones(3, 2),
            'b.weight': torch.ones(5, 3),  # another shape
            'b.bias': torch.ones(4),
            'c.weight': torch.ones(1),  # not in the module
            'head.fc.weight': torch.ones(2),  # a sub-module removed on purpose
            'head.fc.bias': torch.ones(2),
        },
        tmp_path / 'ckpt.pth')
    before = module.b.weight.detach().clone()
    report = CheckedPretrainedInit(str(tmp_path / 'ckpt.pth')).load_into(
        module, unused_prefixes=('head', 'neck'))
    assert report == dict(
        missing=['a.bias'], unexpected=['c.weight'], mismatched=['b.weight'])
    assert torch.equal(module.a.weight, torch.ones(3, 2))
    assert torch.equal(module.b.bias, torch.ones(4))
    assert torch.equal(module.b.weight, before)
    assert logs == [("_TwoLayers: 2 tensors of the removed sub-modules "
                     "['head'] not used")]


def test_strict_loading_refuses_an_inexact_checkpoint(tmp_path):
    torch.save({
        'a.weight': torch.ones(3, 2),
        'a.bias': torch.ones(3)
    }, tmp_path / 'a.pth')
    init = CheckedPretrainedInit(str(tmp_path / 'a.pth'), strict=True)
    with pytest.raises(RuntimeError, match='does not match exactly'):
        init.load_into(_TwoLayers())
    report = CheckedPretrainedInit(
        str(tmp_path / 'a.pth'), prefix=None).load_into(_TwoLayers())
    assert report['missing'] == ['b.weight', 'b.bias']
