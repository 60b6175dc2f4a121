"""One visual encoder of CSTED with its text encoder and its CMAMs.

The paper's spatial encoder (2D, target frame) and temporal encoder (3D, clip)
are both this module: 5 backbone stages, each optionally followed by a CMAM
that modulates the stage output with the branch's own reading of the query (one
GRU per encoder, as in the paper). With ``text_encoder=None`` the encoder reads
word features computed outside it: ``CSTED(text_encoder=...)`` builds one text
encoder shared by both encoders (the authors' CSTM code) and lends it to them.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmcsted.registry import MODELS
from .pretrained import scoped_pretrained_cfg
from .staged_backbone import NUM_STAGES


@MODELS.register_module()
class LanguageGuidedEncoder(BaseModule):
    """Backbone stages interleaved with CMAM.

    Args:
        backbone (dict): a :class:`StagedBackbone` config.
        text_encoder (dict, optional): ``GRUTextEncoder`` or
            ``GloVeGRUTextEncoder`` config; None: the
            word features come from a shared text encoder (``CSTED``'s
            ``text_encoder``), which is then lent with
            :meth:`use_shared_text_encoder` (not a sub-module: its weights
            are the CSTED's ``text_encoder.*``).
        text_channels (int, optional): the word-feature width, needed with
            ``text_encoder=None`` (CSTED fills it in).
        cmam (dict, optional): CMAM options (``mid_channels``, ``with_coord``,
            ``identity_init``, ``style``); channels and dims are filled in.
        cmam_stages (sequence[int]): stages (1..5) followed by a CMAM; empty
            means no modulation (the "w/o CMAM" ablation).
        frozen (bool): no gradients, eval mode (stage-2 training of the paper).
        init_cfg (dict): ``dict(type='Pretrained', checkpoint=...,
            prefix='spatial_encoder.')`` loads a whole trained branch (stage-1
            checkpoint of the two-stage recipe).
    """

    def __init__(self,
                 backbone: Dict,
                 text_encoder: Optional[Dict] = None,
                 cmam: Optional[Dict] = None,
                 cmam_stages: Sequence[int] = (1, 2, 3, 4, 5),
                 frozen: bool = False,
                 text_channels: Optional[int] = None,
                 init_cfg=None):
        super().__init__(init_cfg=scoped_pretrained_cfg(init_cfg))
        cmam_stages = tuple(sorted(set(cmam_stages)))
        bad = [s for s in cmam_stages if s not in range(1, NUM_STAGES + 1)]
        if bad:
            raise ValueError(
                f'CMAM stages must be within 1..{NUM_STAGES}, got {bad}')
        self.cmam_stages = cmam_stages
        self.backbone = MODELS.build(backbone)
        if text_encoder is None:
            if text_channels is None:
                raise ValueError(
                    'an encoder without a text encoder of its own needs '
                    '`text_channels` (the shared text encoder\'s width)')
            self.text_encoder = None
            self._text_channels = text_channels
        else:
            self.text_encoder = MODELS.build(text_encoder)
            self._text_channels = self.text_encoder.out_channels
            if text_channels not in (None, self._text_channels):
                raise ValueError(
                    f'text_channels={text_channels} but the text encoder '
                    f'gives {self._text_channels}')
        # A shared text encoder lent by the CSTED (plain attribute, so that
        # its weights appear once in the state dict, under the CSTED).
        self.__dict__['_shared_text_encoder'] = None
        cmam = dict(type='CMAM', **(cmam or {}))
        self.cmams = nn.ModuleDict({
            str(s):
            MODELS.build(
                dict(
                    cmam,
                    visual_channels=self.backbone.out_channels[s - 1],
                    text_channels=self._text_channels,
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
        return self._text_channels

    @property
    def text_module(self) -> nn.Module:
        """The text encoder this encoder reads the query with: its own, or
        the shared one lent by the CSTED."""
        if self.text_encoder is not None:
            return self.text_encoder
        shared = self.__dict__.get('_shared_text_encoder')
        if shared is None:
            raise RuntimeError(
                'this encoder has no text encoder of its own and none was '
                'lent to it (CSTED(text_encoder=...) does that)')
        return shared

    def use_shared_text_encoder(self, text_encoder: nn.Module) -> None:
        """Read the query with ``text_encoder`` (owned by the caller)."""
        if self.text_encoder is not None:
            raise ValueError('this encoder has a text encoder of its own')
        if text_encoder.out_channels != self._text_channels:
            raise ValueError(
                f'the shared text encoder gives {text_encoder.out_channels} '
                f'channels, this encoder\'s CMAMs take {self._text_channels}')
        self.__dict__['_shared_text_encoder'] = text_encoder

    def tokenize(self, texts: Sequence[str], device=None):
        return self.text_module.tokenize(texts, device=device)

    def forward(
        self, x: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor
    ) -> Tuple[List[torch.Tensor], torch.Tensor, torch.Tensor]:
        """Returns (5 modulated stage features, word features, word mask)."""
        words, mask = self.text_module(ids, mask)
        return self.forward_words(x, words, mask), words, mask

    def forward_words(self, x: torch.Tensor, words: torch.Tensor,
                      mask: torch.Tensor) -> List[torch.Tensor]:
        """The 5 modulated stage features, from word features (N, K, Cl)
        and their mask (N, K) computed elsewhere (a shared text encoder)."""
        feats = []
        for i in range(NUM_STAGES):
            x = self.backbone.forward_stage(i, x)
            if str(i + 1) in self.cmams:
                x = self.cmams[str(i + 1)](x, words, mask)
            feats.append(x)
        return feats

    def train(self, mode: bool = True):
        super().train(mode)
        if self.frozen:
            nn.Module.train(self, False)
        return self
