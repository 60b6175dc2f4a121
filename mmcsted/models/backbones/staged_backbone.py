"""Run an OpenMMLab backbone as CSTED's 5 stages (stride 2, 4, 8, 16, 32).

CMAM modulates the features between stages, so the backbone's own ``forward``
(which returns only chosen outputs) cannot be used. The adapter keeps the
backbone module untouched (same parameter names as the OpenMMLab checkpoints)
and only groups its children into stages.
"""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from mmcsted.registry import MODELS
from .pretrained import scoped_pretrained_cfg

# CSTED's encoders have 5 stages, at strides 2, 4, 8, 16 and 32; the CMAMs,
# the decoders and the checkpoint converters count them with this.
NUM_STAGES = 5

_RESNET3D_TYPES = ('ResNet3d', 'ResNet3dSlowOnly', 'ResNet3dCSN',
                   'ResNet3dSlowFast', 'ResNet2Plus1d')


def default_stage_modules(backbone: nn.Module) -> List[List[str]]:
    """Child-module names of each of the 5 stages for the supported backbones.

    A backbone written for mmcsted declares its own split as ``stage_names``
    (5 lists of sub-module paths, dotted paths allowed)."""
    own = getattr(backbone, 'stage_names', None)
    if own is not None:
        return [list(s) for s in own]
    name = type(backbone).__name__
    children = dict(backbone.named_children())
    if name in _RESNET3D_TYPES:
        stage2 = (['maxpool'] if getattr(backbone, 'with_pool1', True) else
                  []) + ['layer1']
        # mmaction applies the temporal pool2 after layer1; running it at the
        # start of stage 3 keeps the full temporal resolution for CMAM at stage
        # 2 and computes the same thing. R(2+1)D never uses its pool2.
        use_pool2 = getattr(backbone, 'with_pool2', False) \
            and name != 'ResNet2Plus1d'
        stage3 = (['pool2'] if use_pool2 else []) + ['layer2']
        return [['conv1'], stage2, stage3, ['layer3'], ['layer4']]
    if name == 'InceptionV3':
        return [['Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3'],
                ['maxpool1', 'Conv2d_3b_1x1', 'Conv2d_4a_3x3'],
                ['maxpool2', 'Mixed_5b', 'Mixed_5c', 'Mixed_5d'],
                ['Mixed_6a', 'Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e'],
                ['Mixed_7a', 'Mixed_7b', 'Mixed_7c']]
    if name in ('ResNet', 'ResNetV1c', 'ResNetV1d', 'ResNeXt'):
        if 'stem' in children:  # deep stem (mmpretrain ResNetV1c/d)
            stem = ['stem']
        elif 'bn1' in children:  # mmpretrain: conv1, bn1, relu
            stem = ['conv1', 'bn1', 'relu']
        else:  # mmaction2 2D ResNet: conv1 is a ConvModule
            stem = ['conv1']
        return [
            stem, ['maxpool', 'layer1'], ['layer2'], ['layer3'], ['layer4']
        ]
    raise ValueError(
        f'no default {NUM_STAGES}-stage split for {name}; give '
        f'`stage_modules` (a list of {NUM_STAGES} lists of child-module '
        'names)')


def _in_own_scope(cfg: Dict) -> Dict:
    """``type='mmaction.X'`` -> ``type='X', _scope_='mmaction'``, so that the
    backbone also builds its inner layers (e.g. mmaction's ``Conv2plus1d``)
    from its own package's registry."""
    cfg = dict(cfg)
    type_name = cfg.get('type')
    if isinstance(type_name, str) and '.' in type_name \
            and '_scope_' not in cfg:
        scope, cfg['type'] = type_name.split('.', 1)
        cfg['_scope_'] = scope
    return cfg


def _same_pad_3x3(module: nn.Module) -> int:
    """Give every 3x3 conv/max-pool without padding a padding of 1, so that an
    Inception-style network has exact strides 2..32 (320 -> 160 ... 10) and its
    stages line up with the 3D branch. Weights are unchanged."""
    changed = 0
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.MaxPool2d)):
            k = m.kernel_size if isinstance(
                m.kernel_size, tuple) else (m.kernel_size, m.kernel_size)
            p = m.padding if isinstance(m.padding, tuple) else (m.padding,
                                                                m.padding)
            if k == (3, 3) and p == (0, 0):
                m.padding = (1, 1) if isinstance(m, nn.Conv2d) else 1
                changed += 1
    return changed


@MODELS.register_module()
class StagedBackbone(BaseModule):
    """An OpenMMLab backbone split into 5 stages.

    Args:
        backbone (dict): config of the backbone, by registry name, e.g.
            ``dict(type='mmaction.ResNet3d', depth=50, ...)`` (I3D),
            ``dict(type='mmpretrain.InceptionV3')``,
            ``dict(type='mmpretrain.ResNet', depth=50)``.
        stage_modules (list[list[str]], optional): child names of each stage;
            known backbones are split automatically.
        same_padding (bool): pad unpadded 3x3 convs/pools (Inception V3) so
            that stage sizes are exactly input / 2**i.
        renormalize (dict, optional): ``dict(from_mean, from_std, to_mean,
            to_std)`` turns the data preprocessor's normalisation into the one
            the pretrained backbone was trained with (Inception V3 expects
            mean = std = 127.5).
        frozen (bool): no gradients and BN in eval mode (stage-2 training).
        init_cfg (dict):
            ``dict(type='Pretrained', checkpoint=..., prefix=...)`` loads
            weights into the wrapped backbone (``prefix='backbone.'`` for a
            recognizer/classifier checkpoint), through its
            ``convert_pretrained`` if it has one; the number of loaded, missing
            and unexpected keys is logged, the dropped heads' tensors are
            logged as unused, and a checkpoint that matches nothing is an
            error (see :class:`CheckedPretrainedInit`).
    """

    def __init__(self,
                 backbone: Dict,
                 stage_modules: Optional[Sequence[Sequence[str]]] = None,
                 same_padding: bool = False,
                 renormalize: Optional[Dict] = None,
                 frozen: bool = False,
                 norm_eval: bool = False,
                 init_cfg=None):
        super().__init__(init_cfg=scoped_pretrained_cfg(init_cfg))
        self.backbone = MODELS.build(_in_own_scope(backbone))
        self.stage_modules = [
            list(s)
            for s in (stage_modules or default_stage_modules(self.backbone))
        ]
        if len(self.stage_modules) != NUM_STAGES:
            raise ValueError(f'a staged backbone has {NUM_STAGES} stages, got '
                             f'{len(self.stage_modules)}')
        used = {n for stage in self.stage_modules for n in stage}
        for n in used:
            try:
                self.backbone.get_submodule(n)
            except AttributeError:
                raise ValueError(f'{type(self.backbone).__name__} has no '
                                 f'sub-module "{n}"') from None
        # Heads (classifier, aux logits) are never used: drop their parameters
        # and remember them, so that their pretrained weights are reported as
        # unused rather than unexpected.
        used_children = {n.split('.', 1)[0] for n in used}
        self.dropped_children = []
        for n, _ in list(self.backbone.named_children()):
            if n not in used_children:
                delattr(self.backbone, n)
                self.dropped_children.append(n)
        if same_padding:
            _same_pad_3x3(self.backbone)
        self.renormalize = renormalize
        if renormalize is not None:
            f_mean, f_std = (
                torch.tensor(renormalize[k], dtype=torch.float32)
                for k in ('from_mean', 'from_std'))
            t_mean, t_std = (
                torch.tensor(renormalize[k], dtype=torch.float32)
                for k in ('to_mean', 'to_std'))
            # x_raw = x * f_std + f_mean;  x_new = (x_raw - t_mean) / t_std
            self.register_buffer('norm_scale', f_std / t_std, persistent=False)
            self.register_buffer(
                'norm_shift', (f_mean - t_mean) / t_std, persistent=False)
        self.frozen = frozen
        self.norm_eval = norm_eval or frozen
        self._probe()
        if frozen:
            self.requires_grad_(False)

    @property
    def ndim(self) -> int:
        """2 for an image backbone, 3 for a video backbone."""
        return self._ndim

    def _probe(self) -> None:
        """Find the dimensionality, channels and strides of each stage with a
        small forward pass (eval mode, so BN statistics are untouched)."""
        was_training = self.backbone.training
        nn.Module.train(self.backbone, False)
        ndim = 3 if type(self.backbone).__name__ in _RESNET3D_TYPES or any(
            isinstance(m, nn.Conv3d) for m in self.backbone.modules()) else 2
        size, frames = 64, 16
        x = torch.zeros((1, 3, frames, size,
                         size) if ndim == 3 else (1, 3, size, size))
        channels, s_strides, t_strides = [], [], []
        with torch.no_grad():
            for feat in self._run_stages(x):
                channels.append(feat.shape[1])
                s_strides.append(size // feat.shape[-1])
                t_strides.append(frames // feat.shape[2] if ndim == 3 else 1)
        nn.Module.train(self.backbone, was_training)
        self._ndim = ndim
        self.out_channels = tuple(channels)
        self.spatial_strides = tuple(s_strides)
        self.temporal_strides = tuple(t_strides)

    def _run_stages(self, x):
        for i in range(NUM_STAGES):
            x = self.forward_stage(i, x)
            yield x

    def forward_stage(self, index: int, x: torch.Tensor) -> torch.Tensor:
        """Run stage ``index`` (0-based)."""
        if index == 0 and self.renormalize is not None:
            shape = (1, -1) + (1, ) * (x.dim() - 2)
            x = x * self.norm_scale.view(shape) + self.norm_shift.view(shape)
        for name in self.stage_modules[index]:
            x = self.backbone.get_submodule(name)(x)
        return x

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        """All 5 stage outputs (no modulation in between)."""
        return list(self._run_stages(x))

    # Pretrained checkpoints are of the wrapped network (keys relative to it);
    # the heads it no longer has are not unexpected keys.
    @property
    def pretrained_target(self) -> nn.Module:
        return self.backbone

    @property
    def pretrained_unused_prefixes(self) -> List[str]:
        return self.dropped_children

    def train(self, mode: bool = True):
        # Not the backbone's own train(): mmaction2's returns None.
        nn.Module.train(self, mode)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        # a frozen encoder keeps its BN statistics and dropout off
        if self.frozen:
            nn.Module.train(self, False)
        return self
