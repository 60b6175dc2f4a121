"""Cross-Modal Adaptive Modulation (CMAM), METHOD.md "CMAM".

Given visual features V (N, Cv, [T,] H, W) and word features L (N, K, Cl):
    V' = Conv1x1([V, coord]),  L' = Conv1d(L)        (both Cm channels)
    A  = L' V'^T                                       (N, K, P), P = [T]HW
    w  = sum_p A[:, :, p];   w~ = softmax(w / ||w||_2) over the real words
    l  = sum_k w~_k L_k                                (N, Cl)
    g  = sigmoid(Linear(l))                            (N, Cv)
    V~ = V + V * (g - 0.5)  (identity at init) or V + V * g (paper).

What this follows: the paper's CMAM (METHOD.md steps 1-5), with two details taken
from the authors' release: the coordinate feature in the visual projection and a
zero-initialised gate with ``g - 0.5``. It is NOT the release's CMAM, which
modulates a conv3x3-BN-ReLU transform ``vt`` of [V, coord] (V~ = V + vt * (g -
0.5)), adds BN to its key and query projections and lets padding words into the
softmax; here V itself is modulated and padding words are masked out.

Speed: since V' is linear in V, sum_p A[:, k, p] = L'_k . (W sum_p [V, coord]_p
+ P b); so w is computed from the spatially summed input and the (K x P) map A is
only formed when the attention is asked for (visualisation).
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmcsted.registry import MODELS
from .coord_feature import COORD_CHANNELS, coord_feature


def masked_word_softmax(scores: torch.Tensor, mask: torch.Tensor,
                        eps: float = 1e-6) -> torch.Tensor:
    """softmax(w / ||w||_2) over the real words; padding words get weight 0."""
    scores = scores.masked_fill(~mask, 0.)
    norm = scores.norm(dim=1, keepdim=True).clamp_min(eps)
    return F.softmax((scores / norm).masked_fill(~mask, float('-inf')), dim=1)


@MODELS.register_module()
class CMAM(BaseModule):
    """Cross-modal adaptive modulation for 2D (spatial) or 3D (temporal) maps.

    Args:
        visual_channels (int): Cv.
        text_channels (int): Cl.
        mid_channels (int): Cm, the joint space of A.
        dims (int): 2 or 3.
        with_coord (bool): concatenate the 8-channel coordinate feature to V
            before the projection (as the release does for its transform).
        identity_init (bool): zero-initialised gate layer and
            V + V * (g - 0.5), so a fresh CMAM is the identity (the release's
            gate, applied here to V rather than to the release's transform).
            False: the paper's V + V * g with a default-initialised gate.
    """

    def __init__(self,
                 visual_channels: int,
                 text_channels: int,
                 mid_channels: int = 256,
                 dims: int = 2,
                 with_coord: bool = True,
                 identity_init: bool = True,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if dims not in (2, 3):
            raise ValueError(f'CMAM works on 2D or 3D maps, got dims={dims}')
        self.dims = dims
        self.with_coord = with_coord
        self.identity_init = identity_init
        conv = nn.Conv2d if dims == 2 else nn.Conv3d
        in_channels = visual_channels + (COORD_CHANNELS if with_coord else 0)
        self.visual_proj = conv(in_channels, mid_channels, 1)
        self.text_proj = nn.Conv1d(text_channels, mid_channels, 1)
        self.gate = nn.Linear(text_channels, visual_channels)
        # Set when `record_attention` is True (visualisation): A as
        # (N, K, [T,] H, W), the word weights (N, K) and the gate (N, Cv).
        self.record_attention = False
        self.last_attention: Optional[torch.Tensor] = None
        self.last_word_weights: Optional[torch.Tensor] = None
        self.last_gate: Optional[torch.Tensor] = None

    def init_weights(self) -> None:
        super().init_weights()
        if self.identity_init and self.init_cfg is None:
            nn.init.zeros_(self.gate.weight)
            nn.init.zeros_(self.gate.bias)

    def _visual_input(self, visual: torch.Tensor) -> torch.Tensor:
        if not self.with_coord:
            return visual
        n = visual.shape[0]
        coord = coord_feature(visual.shape[-2], visual.shape[-1],
                              visual.device, visual.dtype)
        if self.dims == 3:
            coord = coord.unsqueeze(1).expand(-1, visual.shape[2], -1, -1)
        return torch.cat(
            [visual, coord.unsqueeze(0).expand(n, *coord.shape)], dim=1)

    def word_scores(self, visual: torch.Tensor, words: torch.Tensor,
                    need_map: bool = False
                    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """w (N, K) = sum over locations of A, and A itself if ``need_map``."""
        text = self.text_proj(words.transpose(1, 2))  # N, Cm, K
        v_in = self._visual_input(visual)
        if need_map:
            v = self.visual_proj(v_in).flatten(2)  # N, Cm, P
            attn = torch.einsum('nck,ncp->nkp', text, v)
            return attn.sum(-1), attn.view(*attn.shape[:2],
                                           *visual.shape[2:])
        num_locations = v_in[0, 0].numel()
        pooled = v_in.flatten(2).sum(-1)  # N, Cv + 8
        weight = self.visual_proj.weight.flatten(1)  # Cm, Cv + 8
        v_sum = F.linear(pooled, weight,
                         self.visual_proj.bias * num_locations)  # N, Cm
        return torch.einsum('nck,nc->nk', text, v_sum), None

    def forward(self, visual: torch.Tensor, words: torch.Tensor,
                word_mask: torch.Tensor) -> torch.Tensor:
        scores, attn = self.word_scores(visual, words, self.record_attention)
        weights = masked_word_softmax(scores, word_mask)
        sentence = torch.einsum('nk,nkc->nc', weights, words)
        gate = torch.sigmoid(self.gate(sentence))
        if self.identity_init:
            gate = gate - 0.5
        if self.record_attention:
            self.last_attention = attn.detach()
            self.last_word_weights = weights.detach()
            self.last_gate = gate.detach()
        shape = gate.shape + (1, ) * (visual.dim() - 2)
        return visual + visual * gate.view(shape)
