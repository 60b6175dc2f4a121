"""One visual encoder of CSTED with its own text encoder and its CMAMs.

The paper's spatial encoder (2D, target frame) and temporal encoder (3D, clip) are
both this module: 5 backbone stages, each optionally followed by a CMAM that
modulates the stage output with the branch's own reading of the query (one GRU per
encoder, as in the paper).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmcsted.registry import MODELS
from .pretrained import load_pretrained_weights, pop_pretrained_cfg


@MODELS.register_module()
class LanguageGuidedEncoder(BaseModule):
    """Backbone stages interleaved with CMAM.

    Args:
        backbone (dict): a :class:`StagedBackbone` config.
        text_encoder (dict): ``GRUTextEncoder`` or ``HFTextEncoder`` config.
        cmam (dict, optional): CMAM options (``mid_channels``, ``with_coord``,
            ``identity_init``); channels and dims are filled in.
        cmam_stages (sequence[int]): stages (1..5) followed by a CMAM; empty
            means no modulation (the "w/o CMAM" ablation).
        frozen (bool): no gradients, eval mode (stage-2 training of the paper).
        init_cfg (dict): ``dict(type='Pretrained', checkpoint=...,
            prefix='spatial_encoder.')`` loads a whole trained branch (stage-1
            checkpoint of the two-stage recipe).
    """

    def __init__(self,
                 backbone: Dict,
                 text_encoder: Dict,
                 cmam: Optional[Dict] = None,
                 cmam_stages: Sequence[int] = (1, 2, 3, 4, 5),
                 frozen: bool = False,
                 init_cfg=None):
        init_cfg, self.pretrained_cfg = pop_pretrained_cfg(init_cfg)
        super().__init__(init_cfg=init_cfg)
        cmam_stages = tuple(sorted(set(cmam_stages)))
        bad = [s for s in cmam_stages if s not in (1, 2, 3, 4, 5)]
        if bad:
            raise ValueError(f'CMAM stages must be within 1..5, got {bad}')
        self.cmam_stages = cmam_stages
        self.backbone = MODELS.build(backbone)
        self.text_encoder = MODELS.build(text_encoder)
        cmam = dict(type='CMAM', **(cmam or {}))
        self.cmams = nn.ModuleDict({
            str(s): MODELS.build(
                dict(
                    cmam,
                    visual_channels=self.backbone.out_channels[s - 1],
                    text_channels=self.text_encoder.out_channels,
                    dims=self.backbone.ndim))
            for s in cmam_stages
        })
        self.frozen = frozen
        if frozen:
            self.requires_grad_(False)

    @property
    def ndim(self) -> int:
        return self.backbone.ndim

    @property
    def out_channels(self) -> Tuple[int, ...]:
        return self.backbone.out_channels

    @property
    def text_channels(self) -> int:
        return self.text_encoder.out_channels

    def tokenize(self, texts: Sequence[str], device=None):
        return self.text_encoder.tokenize(texts, device=device)

    def forward(self, x: torch.Tensor, ids: torch.Tensor,
                mask: torch.Tensor
                ) -> Tuple[List[torch.Tensor], torch.Tensor, torch.Tensor]:
        """Returns (5 modulated stage features, word features, word mask)."""
        words, mask = self.text_encoder(ids, mask)
        feats = []
        for i in range(5):
            x = self.backbone.forward_stage(i, x)
            if str(i + 1) in self.cmams:
                x = self.cmams[str(i + 1)](x, words, mask)
            feats.append(x)
        return feats, words, mask

    def init_weights(self) -> None:
        super().init_weights()
        if self.pretrained_cfg is not None:
            load_pretrained_weights(self, self.pretrained_cfg,
                                    name=f'{type(self).__name__}')

    def train(self, mode: bool = True):
        super().train(mode)
        if self.frozen:
            nn.Module.train(self, False)
        return self
