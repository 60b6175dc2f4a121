"""Cross-Modal Adaptive Modulation (CMAM), METHOD.md "CMAM".

Two styles, chosen by ``style``:

``'paper'`` (default; the paper's equations, METHOD.md steps 1-5). Given visual
features V (N, Cv, [T,] H, W) and word features L (N, K, Cl)::

    V' = Conv1x1([V, coord]),  L' = Conv1d(L)        (both Cm channels)
    A  = L' V'^T                                       (N, K, P), P = [T]HW
    w  = sum_p A[:, :, p];   w~ = softmax(w / ||w||_2) over the real words
    l  = sum_k w~_k L_k                                (N, Cl)
    g  = sigmoid(Linear(l))                            (N, Cv)
    V~ = V + V * (g - 0.5)  (identity at init) or V + V * g (paper).

Two details come from the authors' CSTM code: the coordinate feature in the
visual projection and a zero-initialised gate with ``g - 0.5``. Padding words
are masked out. Speed: since V' is linear in V, sum_p A[:, k, p] = L'_k . (W
sum_p [V, coord]_p + P b); so w is computed from the spatially summed input and
the (K x P) map A is only formed when the attention is asked for.

``'cstm'`` (the authors' CSTM CMAM, RyanHTR/CSTM
``models/components/cmam.py``, reproduced operation for operation)::

    vt  = ReLU(BN(Conv3x3([V, coord])))     Cv + 8 -> Cv, no conv bias
          (3D: 3x3x3 Conv3d, TF "SAME" = symmetric padding 1, BN3d)
    key = BN(Conv1x1(vt))                   Cv -> Cm, no bias, no ReLU
    q   = BN1d(Conv1d(L^T))                 Cl -> Cm, kernel 1, no bias
    A   = key^T q                           (N, P, K)
    w   = softmax(normalize(sum_p A, L2, eps 1e-12))  over ALL K positions
    l   = sum_k w_k L_k                     (N, Cl)
    g   = sigmoid(Linear(l))                Linear zero-initialised
    V~  = V + vt * (g - 0.5)                (``identity_init=False``: vt * g)

Every BN has PyTorch's defaults (eps 1e-5, momentum 0.1); ``mid_channels``
defaults to Cl (CSTM: 512 = the text width). The word mask is NOT used:
CSTM lets the padding positions (its GRU's outputs on zero GloVe
vectors) into the softmax.

Sub-modules (state-dict keys) of CSTM style <- CSTM's names
(2D | 3D)::

    transform.conv.weight    <- vt.conv.weight | vt.conv3d.weight
    transform.bn.*           <- vt.bn.* | vt.batch3d.*
    key_proj.conv.weight     <- v_key.conv.weight | v_key.conv3d.weight
    key_proj.bn.*            <- v_key.bn.* | v_key.batch3d.*
    query_proj.conv.weight   <- l_query.0.weight
    query_proj.bn.*          <- l_query.1.*
    gate.weight, gate.bias   <- gamma.0.weight, gamma.0.bias

(``bn.*``: weight, bias, running_mean, running_var, num_batches_tracked.)
(:data:`CSTM_KEY_MAP` / :func:`convert_cstm_cmam_key`.) The paper style
has ``visual_proj``, ``text_proj`` and ``gate``.

Both styles record, when ``record_attention`` is True, ``last_attention``
(N, K, [T,] H, W), ``last_word_weights`` (N, K) and ``last_gate`` (N, Cv), the
gate as applied (``g - 0.5`` with ``identity_init``).
"""
import re
from collections import OrderedDict
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmcsted.registry import MODELS
from .coord_feature import COORD_CHANNELS, coord_feature, coord_feature_sum

#: CSTM CMAM sub-module prefix -> ours (2D and 3D names both listed).
CSTM_KEY_MAP = {
    'vt.conv.': 'transform.conv.',
    'vt.bn.': 'transform.bn.',
    'vt.conv3d.': 'transform.conv.',
    'vt.batch3d.': 'transform.bn.',
    'v_key.conv.': 'key_proj.conv.',
    'v_key.bn.': 'key_proj.bn.',
    'v_key.conv3d.': 'key_proj.conv.',
    'v_key.batch3d.': 'key_proj.bn.',
    'l_query.0.': 'query_proj.conv.',
    'l_query.1.': 'query_proj.bn.',
    'gamma.0.': 'gate.',
}
_CSTM_PREFIX = re.compile(r'^(vt\.(conv3d|batch3d|conv|bn)|'
                          r'v_key\.(conv3d|batch3d|conv|bn)|'
                          r'l_query\.[01]|gamma\.0)\.')


def convert_cstm_cmam_key(key: str) -> Optional[str]:
    """Our CMAM key for a key relative to one CSTM CMAM (e.g.
    ``vt.batch3d.running_var`` -> ``transform.bn.running_var``); None if the
    key is not a CMAM key."""
    m = _CSTM_PREFIX.match(key)
    if m is None:
        return None
    return CSTM_KEY_MAP[m.group(0)] + key[m.end():]


class ConvBNAct(nn.Sequential):
    """Conv (no bias) -> BatchNorm (PyTorch defaults) -> optional ReLU, in 1,
    2 or 3 dimensions, stride 1, symmetric padding ``kernel_size // 2`` (TF
    "SAME" for an odd kernel at stride 1, which is what CSTM's
    ``Unit3Dpy`` reduces to here). Sub-modules ``conv``, ``bn``, ``relu``."""

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 dims: int,
                 relu: bool = True):
        conv = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[dims]
        bn = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}[dims]
        if kernel_size % 2 != 1:
            raise ValueError('ConvBNAct pads symmetrically: odd kernels only')
        layers = [('conv',
                   conv(
                       in_channels,
                       out_channels,
                       kernel_size,
                       padding=kernel_size // 2,
                       bias=False)), ('bn', bn(out_channels))]
        if relu:
            layers.append(('relu', nn.ReLU()))
        super().__init__(OrderedDict(layers))


def masked_word_softmax(scores: torch.Tensor,
                        mask: torch.Tensor,
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
        mid_channels (int, optional): Cm, the joint space of A; default 256
            (paper style) or Cl (CSTM style, 512 in CSTM).
        dims (int): 2 or 3.
        with_coord (bool): concatenate the 8-channel coordinate feature to V
            (repeated over time in 3D) before the first layer.
        identity_init (bool): zero-initialised gate layer and a gate of
            ``g - 0.5``, so a fresh CMAM is the identity (CSTM's
            ``zero_init=True``). False: ``g`` with a default-initialised gate
            (the paper's V + V * g; CSTM's ``zero_init=False``).
        style (str): ``'paper'`` (modulates V, masks padding words) or
            ``'cstm'`` (the authors' CSTM CMAM: modulates a
            conv-BN-ReLU transform of [V, coord], BN on key and query,
            padding words take part); see the module docstring.
    """

    def __init__(self,
                 visual_channels: int,
                 text_channels: int,
                 mid_channels: Optional[int] = None,
                 dims: int = 2,
                 with_coord: bool = True,
                 identity_init: bool = True,
                 style: str = 'paper',
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if dims not in (2, 3):
            raise ValueError(f'CMAM works on 2D or 3D maps, got dims={dims}')
        if style not in ('paper', 'cstm'):
            raise ValueError(f"CMAM style is 'paper' or 'cstm', got {style!r}")
        self.dims = dims
        self.with_coord = with_coord
        self.identity_init = identity_init
        self.style = style
        in_channels = visual_channels + (COORD_CHANNELS if with_coord else 0)
        if style == 'paper':
            mid_channels = mid_channels or 256
            conv = nn.Conv2d if dims == 2 else nn.Conv3d
            self.visual_proj = conv(in_channels, mid_channels, 1)
            self.text_proj = nn.Conv1d(text_channels, mid_channels, 1)
        else:
            mid_channels = mid_channels or text_channels
            self.transform = ConvBNAct(in_channels, visual_channels, 3, dims)
            self.key_proj = ConvBNAct(
                visual_channels, mid_channels, 1, dims, relu=False)
            self.query_proj = ConvBNAct(
                text_channels, mid_channels, 1, 1, relu=False)
        self.mid_channels = mid_channels
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

    def _pooled_visual_input(self, visual: torch.Tensor) -> torch.Tensor:
        """[V, coord] summed over the locations (N, Cv (+ 8)), without
        forming the concatenated map (a copy of V at every stage)."""
        pooled = visual.flatten(2).sum(-1)
        if not self.with_coord:
            return pooled
        coord = coord_feature_sum(visual.shape[-2], visual.shape[-1],
                                  visual.device, visual.dtype)
        if self.dims == 3:  # repeated over time
            coord = coord * visual.shape[2]
        return torch.cat([pooled, coord.expand(visual.shape[0], -1)], dim=1)

    def word_scores(
            self,
            visual: torch.Tensor,
            words: torch.Tensor,
            need_map: bool = False
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Paper style: w (N, K) = sum over locations of A, and A itself if
        ``need_map``."""
        if self.style != 'paper':
            raise RuntimeError('word_scores is the paper-style computation')
        text = self.text_proj(words.transpose(1, 2))  # N, Cm, K
        if need_map:
            v_in = self._visual_input(visual)
            v = self.visual_proj(v_in).flatten(2)  # N, Cm, P
            attn = torch.einsum('nck,ncp->nkp', text, v)
            return attn.sum(-1), attn.view(*attn.shape[:2], *visual.shape[2:])
        num_locations = visual[0, 0].numel()
        pooled = self._pooled_visual_input(visual)  # N, Cv (+ 8)
        weight = self.visual_proj.weight.flatten(1)  # Cm, Cv + 8
        v_sum = F.linear(pooled, weight,
                         self.visual_proj.bias * num_locations)  # N, Cm
        return torch.einsum('nck,nc->nk', text, v_sum), None

    def _record(self, attn, weights, gate) -> None:
        if self.record_attention:
            self.last_attention = None if attn is None else attn.detach()
            self.last_word_weights = weights.detach()
            self.last_gate = gate.detach()

    def _gate(self, sentence: torch.Tensor) -> torch.Tensor:
        gate = torch.sigmoid(self.gate(sentence))
        return gate - 0.5 if self.identity_init else gate

    def forward(self,
                visual: torch.Tensor,
                words: torch.Tensor,
                word_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Modulated V (same shape). ``words`` (N, K, Cl); ``word_mask``
        (N, K) marks the real words (paper style; ignored by CSTM
        style, where every position takes part)."""
        if self.style == 'cstm':
            return self._forward_cstm(visual, words)
        if word_mask is None:
            word_mask = words.new_ones(words.shape[:2], dtype=torch.bool)
        scores, attn = self.word_scores(visual, words, self.record_attention)
        weights = masked_word_softmax(scores, word_mask)
        sentence = torch.einsum('nk,nkc->nc', weights, words)
        gate = self._gate(sentence)
        self._record(attn, weights, gate)
        shape = gate.shape + (1, ) * (visual.dim() - 2)
        # V + V * g in one kernel
        return torch.addcmul(visual, visual, gate.view(shape))

    def _forward_cstm(self, visual: torch.Tensor,
                      words: torch.Tensor) -> torch.Tensor:
        vt = self.transform(self._visual_input(visual))  # N, Cv, [T,] H, W
        key = self.key_proj(vt).flatten(2)  # N, Cm, P
        text = words.transpose(1, 2)  # N, Cl, K
        query = self.query_proj(text)  # N, Cm, K
        attn = torch.einsum('ncp,nck->npk', key, query)  # N, P, K
        scores = F.normalize(attn.sum(1), p=2, dim=-1, eps=1e-12)  # N, K
        weights = torch.softmax(scores, dim=-1)
        sentence = (weights.unsqueeze(1) * text).sum(-1)  # N, Cl
        gate = self._gate(sentence)
        if self.record_attention:
            self._record(
                attn.transpose(1, 2).reshape(*attn.shape[::2],
                                             *visual.shape[2:]), weights, gate)
        shape = gate.shape + (1, ) * (visual.dim() - 2)
        return visual + vt * gate.view(shape)
