"""The decoder of the authors' CSTM code (RyanHTR/CSTM, ``CSTMModel``),
exactly, so that its checkpoint can be loaded into a CSTED.

CSTM key -> ours (relative to the head; in a CSTED prefix ``decode_head.``;
the rest of each key, e.g. ``.0.weight`` or ``.1.running_mean``, is unchanged
because every block has CSTM's ``nn.Sequential`` layout)::

    ires_trans.{i}  -> spatial_proj.{i}       i = 0..4: stage i + 1
    vres_trans.{i}  -> temporal_proj.{i}      i = 0..4: stage i + 1
    conv_fuse1.{k}  -> lateral_fusions.{k}    k = 0..4: stage k + 1
    conv_fuse2.{k}  -> top_down_fusions.{k}   k = 0..3: stage k + 1
    conv_mask.{i}   -> mask_heads.{5 - i}     i = 0..5: stride 32 / 2**i

``mask_heads`` (like the output list) is finest first: ``mask_heads[j]`` is
at stride ``2**j``; CSTM's ``conv_mask[i]`` is at stride ``32 / 2**i``.
:func:`cstm_key_map` gives this mapping as a dict and
:func:`convert_cstm_key` applies it to one key.
"""
import re
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer

from mmcsted.models.backbones.staged_backbone import NUM_STAGES
from mmcsted.registry import MODELS
from .base_actor_seg_head import BaseActorSegHead
from .csted_head import MaskHead

# one mask per decoded map: the stages' and the upsampled finest (stride 1)
NUM_MASKS = NUM_STAGES + 1


def cstm_key_map() -> Dict[str, str]:
    """Module prefix of CSTM's decoder -> ours (within the head).

    Keys and values end with a dot; whatever follows the prefix in a
    state-dict key is the same in both models."""
    mapping = {}
    for i in range(NUM_STAGES):  # stage i + 1
        mapping[f'ires_trans.{i}.'] = f'spatial_proj.{i}.'
        mapping[f'vres_trans.{i}.'] = f'temporal_proj.{i}.'
        mapping[f'conv_fuse1.{i}.'] = f'lateral_fusions.{i}.'
    for k in range(NUM_STAGES - 1):  # stage k + 1 (stages 1..4)
        mapping[f'conv_fuse2.{k}.'] = f'top_down_fusions.{k}.'
    for i in range(NUM_MASKS):  # CSTM: stride 32 / 2**i; ours: finest first
        mapping[f'conv_mask.{i}.'] = f'mask_heads.{NUM_MASKS - 1 - i}.'
    return mapping


CSTM_KEY_MAP = cstm_key_map()
_CSTM_KEY = re.compile(
    r'^(ires_trans|vres_trans|conv_fuse1|conv_fuse2|conv_mask)\.(\d+)\.')


def convert_cstm_key(key: str) -> Optional[str]:
    """Our head's key for a CSTM decoder key (``module.`` stripped
    first), None for a key that is not the decoder's."""
    if key.startswith('module.'):
        key = key[len('module.'):]
    m = _CSTM_KEY.match(key)
    if m is None or m.group(0) not in CSTM_KEY_MAP:
        return None
    return CSTM_KEY_MAP[m.group(0)] + key[m.end():]


def _conv_bn_relu(in_channels: int, out_channels: int, bias: bool,
                  norm_cfg: Dict) -> nn.Sequential:
    """Conv2d 3x3 (pad 1) - norm - ReLU as ``nn.Sequential`` (keys ``0.``,
    ``1.``), CSTM's layout."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=bias),
        build_norm_layer(norm_cfg, out_channels)[1], nn.ReLU(inplace=True))


def _up2(x: torch.Tensor) -> torch.Tensor:
    """CSTM's upsampling: bilinear x2 (a scale factor, not a size),
    align_corners=True."""
    return F.interpolate(
        x, scale_factor=2, mode='bilinear', align_corners=True)


@MODELS.register_module()
class CSTMHead(BaseActorSegHead):
    """CSTM's decoder (``CSTMModel`` of RyanHTR/CSTM), for its
    checkpoint.

    Per stage i = 1..5 both branches are projected to ``channels`` by
    conv3x3 (no bias)-BN-ReLU (``spatial_proj``, ``temporal_proj``); a lateral
    fusion conv3x3 (bias)-BN-ReLU over the concatenation (stage 5:
    ``[spatial, temporal]``, stages 1-4: ``[temporal, spatial]``) gives
    ``lateral_fusions``; the top-down path starts at stage 5's map and, for
    stages 4..1, concatenates ``[up2(previous), lateral]`` and applies a
    conv3x3 (bias)-BN-ReLU (``top_down_fusions``); ``up2`` of the stage-1 map
    gives a stride-1 map. Mask heads (conv3x3-ReLU-conv3x3-ReLU-conv1x1, width
    ``mask_channels``) on the six maps (strides 32, 16, 8, 4, 2, 1).

    CSTM's decoder never reads the query (the language enters only
    through CMAM in the encoders): ``text_channels`` is accepted for the
    CSTED interface and unused, and ``forward`` ignores ``sentence``.

    Stage sizes must halve exactly from stage to stage (e.g. inputs a
    multiple of 32, as CSTM's 320 x 320), because CSTM
    upsamples by a factor of 2, not to the lateral's size.

    CSTM key -> ours: see the module docstring and :func:`cstm_key_map`
    (``conv_mask.{i}`` -> ``mask_heads.{5 - i}``; the others keep their index,
    which is the stage minus one).

    Args:
        spatial_channels (sequence[int]): channels of the 5 spatial stages.
        temporal_channels (sequence[int]): channels of the 5 temporal stages
            (the target frame's 2D slice is given to ``forward``).
        text_channels (int): unused (see above).
        channels (int): decoder width (CSTM: 256).
        mask_channels (int): width of the mask heads (CSTM: 256).
        loss_decode (dict | list[dict]): losses on the mask logits.
        loss_scale_weights (sequence[float], optional): weight of each of the
            six scales' losses, finest first; default all 1.
        norm_cfg (dict): norm of the projections and fusions (CSTM:
            ``BatchNorm2d`` with PyTorch's defaults, eps 1e-5).
    """

    # CSTED asks whether the decoder concatenates the query; this one never
    # reads it.
    language_concat = None

    def __init__(self,
                 spatial_channels: Optional[Sequence[int]],
                 temporal_channels: Optional[Sequence[int]],
                 text_channels: int,
                 channels: int = 256,
                 mask_channels: int = 256,
                 loss_decode=dict(type='MaskBCELoss'),
                 loss_scale_weights: Optional[Sequence[float]] = None,
                 norm_cfg=dict(type='BN'),
                 init_cfg=None):
        super().__init__(
            NUM_MASKS,
            loss_decode=loss_decode,
            loss_scale_weights=loss_scale_weights,
            init_cfg=init_cfg)
        if spatial_channels is None or temporal_channels is None:
            missing = 'spatial' if spatial_channels is None else 'temporal'
            raise ValueError(
                'CSTMHead (the CSTM decoder) fuses a spatial and a '
                f'temporal encoder; the {missing} one is missing (use '
                'CSTEDHead for a single-branch model)')
        if len(spatial_channels) != NUM_STAGES or \
                len(temporal_channels) != NUM_STAGES:
            raise ValueError(f'CSTMHead needs {NUM_STAGES} stages per '
                             f'branch, got {list(spatial_channels)} and '
                             f'{list(temporal_channels)}')
        self.text_channels = text_channels  # unused
        self.channels = channels
        self.spatial_proj = nn.ModuleList(
            _conv_bn_relu(c, channels, False, norm_cfg)
            for c in spatial_channels)
        self.temporal_proj = nn.ModuleList(
            _conv_bn_relu(c, channels, False, norm_cfg)
            for c in temporal_channels)
        self.lateral_fusions = nn.ModuleList(
            _conv_bn_relu(2 * channels, channels, True, norm_cfg)
            for _ in range(NUM_STAGES))
        self.top_down_fusions = nn.ModuleList(
            _conv_bn_relu(2 * channels, channels, True, norm_cfg)
            for _ in range(NUM_STAGES - 1))
        # mask_heads[j]: stride 2**j (finest first, as the outputs).
        self.mask_heads = nn.ModuleList(
            MaskHead(channels, mask_channels) for _ in range(NUM_MASKS))

    def decode(self, spatial: List[torch.Tensor],
               temporal: List[torch.Tensor]) -> List[torch.Tensor]:
        """The six decoder maps, coarsest (stride 32) first, as the
        CSTM's ``video_features``."""
        if spatial is None or temporal is None:
            raise ValueError('CSTMHead needs spatial and temporal '
                             'features')
        s = [proj(x) for proj, x in zip(self.spatial_proj, spatial)]
        t = [proj(x) for proj, x in zip(self.temporal_proj, temporal)]
        top = NUM_STAGES - 1
        maps = [self.lateral_fusions[top](torch.cat([s[top], t[top]], 1))]
        for k in range(top - 1, -1, -1):  # stages 4..1
            lateral = self.lateral_fusions[k](torch.cat([t[k], s[k]], 1))
            up = _up2(maps[-1])
            if up.shape[-2:] != lateral.shape[-2:]:
                raise ValueError(
                    f'stage {k + 1} is {tuple(lateral.shape[-2:])}, twice '
                    f'stage {k + 2} is {tuple(up.shape[-2:])}: CSTM '
                    'decoder needs sizes that halve exactly (inputs a '
                    'multiple of 32)')
            maps.append(self.top_down_fusions[k](torch.cat([up, lateral], 1)))
        maps.append(_up2(maps[-1]))  # stride 1
        return maps

    def forward(self,
                spatial: List[torch.Tensor],
                temporal: List[torch.Tensor],
                sentence: Optional[torch.Tensor] = None,
                num_scales: Optional[int] = None) -> List[torch.Tensor]:
        """Six mask logit maps (N, 1, H, W), finest (stride 1, CSTM's
        prediction) first, or the ``num_scales`` finest. ``sentence`` is
        ignored."""
        maps = self.decode(spatial, temporal)[::-1]  # finest first
        heads = self.mask_heads[:num_scales or len(self.mask_heads)]
        return [head(x) for head, x in zip(heads, maps)]
