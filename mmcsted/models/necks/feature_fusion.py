"""Fusion of the spatial and the temporal (target-frame) features in the
decoder.

``LGFS`` is the paper's language-guided feature selection; ``SimpleFusion``
holds the ablation baselines (element-wise add, element-wise max, concat +
conv). All take (spatial, temporal, sentence) and return the fused map.
"""
from typing import Optional

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from mmcsted.registry import MODELS


@MODELS.register_module()
class LGFS(BaseModule):
    """Language-guided feature selection.

    gS = Linear_S(l), gT = Linear_T(l); for each channel c the pair (gS_c,
    gT_c) goes through a softmax; VF = VS * g~S + VT * g~T. ``l`` is the mean
    of the real words' features, computed by the caller.
    """

    def __init__(self, channels: int, text_channels: int, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.spatial_gate = nn.Linear(text_channels, channels)
        self.temporal_gate = nn.Linear(text_channels, channels)
        self.record_weights = False
        self.last_weights: Optional[torch.Tensor] = None  # (N, 2, C)

    def selection_weights(self, sentence: torch.Tensor) -> torch.Tensor:
        """(N, 2, C): the spatial and temporal weight of every channel."""
        logits = torch.stack(
            [self.spatial_gate(sentence),
             self.temporal_gate(sentence)], dim=1)
        return logits.softmax(dim=1)

    def forward(self, spatial: torch.Tensor, temporal: torch.Tensor,
                sentence: torch.Tensor) -> torch.Tensor:
        weights = self.selection_weights(sentence)
        if self.record_weights:
            self.last_weights = weights.detach()
        w = weights[..., None, None]
        return spatial * w[:, 0] + temporal * w[:, 1]


@MODELS.register_module()
class SimpleFusion(BaseModule):
    """Language-blind fusion: ``mode`` = 'add' | 'max' | 'concat' (concat then
    conv3x3-BN-ReLU back to ``channels``)."""

    modes = ('add', 'max', 'concat')

    def __init__(self,
                 channels: int,
                 text_channels: Optional[int] = None,
                 mode: str = 'add',
                 norm_cfg=dict(type='BN'),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if mode not in self.modes:
            raise ValueError(f'unknown fusion mode {mode!r}; choose one of '
                             f'{self.modes} or LGFS')
        self.mode = mode
        if mode == 'concat':
            self.conv = ConvModule(
                2 * channels, channels, 3, padding=1, norm_cfg=norm_cfg)

    def forward(self,
                spatial: torch.Tensor,
                temporal: torch.Tensor,
                sentence: Optional[torch.Tensor] = None) -> torch.Tensor:
        if self.mode == 'add':
            return spatial + temporal
        if self.mode == 'max':
            return torch.maximum(spatial, temporal)
        return self.conv(torch.cat([spatial, temporal], dim=1))
