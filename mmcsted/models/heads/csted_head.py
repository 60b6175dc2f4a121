"""The CSTED decoder: per-stage projection, fusion (LGFS or a baseline),
top-down aggregation VD_i = VF_i + Up(VD_{i+1}) and a mask head per decoded
scale."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule

from mmcsted.models.backbones.staged_backbone import NUM_STAGES
from mmcsted.models.necks.coord_feature import COORD_CHANNELS, coord_feature
from mmcsted.registry import MODELS
from .base_actor_seg_head import BaseActorSegHead


class MaskHead(nn.Sequential):
    """conv3x3-ReLU-conv3x3-ReLU-conv1x1(1), the form of CSTM's mask
    heads (whose width is 256; here `mask_channels`)."""

    def __init__(self, in_channels: int, channels: int):
        super().__init__(
            nn.Conv2d(in_channels, channels, 3, padding=1),
            nn.ReLU(inplace=True), nn.Conv2d(channels, channels, 3, padding=1),
            nn.ReLU(inplace=True), nn.Conv2d(channels, 1, 1))


class LanguageConcat(nn.Module):
    """The paper's baselines' only meeting of vision and language:
    [VF, tiled sentence, coord] -> conv1x1-BN-ReLU back to the decoder width.

    The paper (Table 3a rows 1-4, Table 3b) says only that multimodal
    interaction happens "in the decoders by visual and linguistic feature
    concatenation"; the 1x1 mixing (a 3x3 at stride 2 would cost ~45 GFLOPs)
    and the coordinate channels (as wherever vision meets language in this
    model) are our choice.
    """

    def __init__(self, channels: int, text_channels: int, norm_cfg):
        super().__init__()
        self.mix = ConvModule(
            channels + text_channels + COORD_CHANNELS,
            channels,
            1,
            norm_cfg=norm_cfg)

    def forward(self, visual: torch.Tensor,
                sentence: torch.Tensor) -> torch.Tensor:
        n, _, h, w = visual.shape
        coord = coord_feature(h, w, visual.device, visual.dtype)
        return self.mix(
            torch.cat([
                visual,
                sentence.to(visual.dtype)[:, :, None, None].expand(
                    -1, -1, h, w),
                coord.unsqueeze(0).expand(n, -1, -1, -1)
            ],
                      dim=1))


@MODELS.register_module()
class CSTEDHead(BaseActorSegHead):
    """Decoder of CSTED.

    Args:
        spatial_channels (sequence[int], optional): channels of the 5 spatial
            encoder stages; None for a temporal-only model.
        temporal_channels (sequence[int], optional): same for the temporal
            encoder; None for a spatial-only model.
        text_channels (int): width of the sentence feature given to LGFS.
        channels (int or sequence[int]): decoder width per stage (each stage is
            projected to it by conv3x3-BN-ReLU before fusion; CSTM: 256).
            A sequence lets the high-resolution stages be narrower.
        fusion (dict): ``dict(type='LGFS')`` or
            ``dict(type='SimpleFusion', mode='add'|'max'|'concat')``.
        mask_channels (int): width of the mask heads.
        deep_supervision (bool): a mask head and a loss at every scale
            (CSTM) instead of the finest only.
        loss_decode (dict | list[dict]): losses on the mask logits.
        loss_scale_weights (sequence[float], optional): weight of each scale's
            loss with deep supervision (finest first); default all 1.
        language_concat (bool): concatenate the tiled sentence feature (and the
            coordinate feature) to each fused decoder stage and mix it back to
            the stage width: how the paper's configurations without CMAM read
            the query. The full model (CMAM) has none.
    """

    def __init__(self,
                 spatial_channels: Optional[Sequence[int]],
                 temporal_channels: Optional[Sequence[int]],
                 text_channels: int,
                 channels: Union[int, Sequence[int]] = 256,
                 fusion: Optional[Dict] = dict(type='LGFS'),
                 mask_channels: int = 64,
                 deep_supervision: bool = False,
                 loss_decode=dict(type='MaskBCELoss'),
                 loss_scale_weights: Optional[Sequence[float]] = None,
                 language_concat: bool = False,
                 norm_cfg=dict(type='BN'),
                 init_cfg=None):
        super().__init__(
            NUM_STAGES if deep_supervision else 1,
            loss_decode=loss_decode,
            loss_scale_weights=loss_scale_weights,
            init_cfg=init_cfg)
        if spatial_channels is None and temporal_channels is None:
            raise ValueError('CSTEDHead needs at least one encoder')
        widths = [channels] * NUM_STAGES if isinstance(channels,
                                                       int) else list(channels)
        if len(widths) != NUM_STAGES:
            raise ValueError(f'`channels` is an int or {NUM_STAGES} ints')
        self.widths = widths
        self.two_branches = spatial_channels is not None \
            and temporal_channels is not None

        def projections(in_channels):
            if in_channels is None:
                return None
            return nn.ModuleList(
                ConvModule(c, w, 3, padding=1, norm_cfg=norm_cfg)
                for c, w in zip(in_channels, widths))

        self.spatial_proj = projections(spatial_channels)
        self.temporal_proj = projections(temporal_channels)
        if self.two_branches:
            if fusion is None:
                raise ValueError('two encoders need a `fusion`')
            self.fusions = nn.ModuleList(
                MODELS.build(
                    dict(fusion, channels=w, text_channels=text_channels))
                for w in widths)
        self.language_concat = nn.ModuleList(
            LanguageConcat(w, text_channels, norm_cfg)
            for w in widths) if language_concat else None
        # Lateral 1x1 where consecutive decoder widths differ.
        self.top_down = nn.ModuleList(
            nn.Identity() if widths[i + 1] ==
            widths[i] else nn.Conv2d(widths[i + 1], widths[i], 1)
            for i in range(NUM_STAGES - 1))
        self.deep_supervision = deep_supervision
        self.mask_heads = nn.ModuleList(
            MaskHead(widths[i], mask_channels) for i in range(self.num_scales))

    def fuse(self, spatial: Optional[List[torch.Tensor]],
             temporal: Optional[List[torch.Tensor]],
             sentence: Optional[torch.Tensor]) -> List[torch.Tensor]:
        """VF_1..VF_5 (N, C_i, H_i, W_i)."""
        fused = []
        for i in range(NUM_STAGES):
            s = self.spatial_proj[i](spatial[i]) if spatial else None
            t = self.temporal_proj[i](temporal[i]) if temporal else None
            if s is not None and t is not None:
                if t.shape[-2:] != s.shape[-2:]:  # odd sizes, unpadded nets
                    t = F.interpolate(
                        t, s.shape[-2:], mode='bilinear', align_corners=False)
                f = self.fusions[i](s, t, sentence)
            else:
                f = s if s is not None else t
            if self.language_concat is not None:
                f = self.language_concat[i](f, sentence)
            fused.append(f)
        return fused

    def forward(self,
                spatial: Optional[List[torch.Tensor]],
                temporal: Optional[List[torch.Tensor]],
                sentence: Optional[torch.Tensor],
                num_scales: Optional[int] = None) -> List[torch.Tensor]:
        """Mask logits, finest scale (stride 2) first; one map without deep
        supervision, five with, or the ``num_scales`` finest."""
        fused = self.fuse(spatial, temporal, sentence)
        decoded = fused[-1:]  # coarsest first while decoding
        for i in range(NUM_STAGES - 2, -1, -1):
            up = F.interpolate(
                self.top_down[i](decoded[-1]),
                fused[i].shape[-2:],
                mode='bilinear',
                align_corners=False)
            decoded.append(fused[i] + up)
        decoded.reverse()  # finest first
        heads = self.mask_heads[:num_scales or len(self.mask_heads)]
        return [head(x) for head, x in zip(heads, decoded)]
