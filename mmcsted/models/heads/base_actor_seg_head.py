"""What CSTED's decoders share: the losses over their mask logits and the
prediction at the input size, in the shape of mmseg's ``BaseDecodeHead``
(``loss`` / ``predict`` run ``forward`` and hand its output to
``loss_by_feat`` / ``predict_by_feat``)."""
from abc import ABCMeta, abstractmethod
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmcsted.registry import MODELS
from mmcsted.structures import ActorSegDataSample

# (spatial stage features or None, temporal stage features or None, sentence)
HeadInputs = Tuple[Optional[List[torch.Tensor]], Optional[List[torch.Tensor]],
                   Optional[torch.Tensor]]


class BaseActorSegHead(BaseModule, metaclass=ABCMeta):
    """Base class of the decoders: ``forward(spatial, temporal, sentence)``
    gives one mask logit map (N, 1, h, w) per supervised scale, finest
    first; the first is the prediction.

    Args:
        num_scales (int): how many logit maps ``forward`` gives.
        loss_decode (dict | list[dict]): losses on the mask logits, each
            with a ``loss_name``.
        loss_scale_weights (sequence[float], optional): weight of each
            scale's losses, finest first; default all 1.
    """

    def __init__(self,
                 num_scales: int,
                 loss_decode=dict(type='MaskBCELoss'),
                 loss_scale_weights: Optional[Sequence[float]] = None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.num_scales = num_scales
        losses = loss_decode if isinstance(loss_decode,
                                           (list, tuple)) else [loss_decode]
        self.loss_decode = nn.ModuleList(MODELS.build(c) for c in losses)
        self.loss_scale_weights = list(loss_scale_weights or [1.] * num_scales)
        if len(self.loss_scale_weights) != num_scales:
            raise ValueError(f'{num_scales} loss scale weights expected')

    @abstractmethod
    def forward(self,
                spatial: Optional[List[torch.Tensor]],
                temporal: Optional[List[torch.Tensor]],
                sentence: Optional[torch.Tensor],
                num_scales: Optional[int] = None) -> List[torch.Tensor]:
        """The mask logits of each scale, finest first (the ``num_scales``
        finest if given)."""

    def loss(self,
             inputs: HeadInputs,
             batch_data_samples: List[ActorSegDataSample],
             train_cfg: Optional[Dict] = None) -> Dict[str, torch.Tensor]:
        """The losses of the logits of ``inputs`` against the samples'
        ground truth."""
        return self.loss_by_feat(self(*inputs), batch_data_samples)

    def predict(self,
                inputs: HeadInputs,
                batch_img_metas: List[dict],
                test_cfg: Optional[Dict] = None) -> torch.Tensor:
        """The prediction's logits (N, 1, H, W) at the batch's input size
        (the deep supervision's coarser maps are not computed)."""
        return self.predict_by_feat(
            self(*inputs, num_scales=1), batch_img_metas)

    @staticmethod
    def _stack_batch_gt(
        batch_data_samples: List[ActorSegDataSample]
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The ground-truth masks (N, 1, H, W) as floats, padded as the
        input, and the mask of the pixels of each frame (padding 0)."""
        gt = torch.stack([ds.gt_sem_seg.data
                          for ds in batch_data_samples]).float()
        valid = torch.zeros_like(gt)
        for i, ds in enumerate(batch_data_samples):
            h, w = ds.metainfo.get('img_shape', gt.shape[-2:])[:2]
            valid[i, :, :h, :w] = 1
        return gt, valid

    def loss_by_feat(
        self, seg_logits: List[torch.Tensor],
        batch_data_samples: List[ActorSegDataSample]
    ) -> Dict[str, torch.Tensor]:
        """The losses of each scale, its logits upsampled to the ground
        truth's size; named ``loss_bce`` (finest), ``loss_bce_s2``, ...

        Only the pixels of the frame count (not the batch's padding)."""
        if len(seg_logits) != self.num_scales:
            raise ValueError(f'{self.num_scales} logit maps expected, '
                             f'got {len(seg_logits)}')
        gt, valid = self._stack_batch_gt(batch_data_samples)
        losses = {}
        for scale, (logit, weight) in enumerate(
                zip(seg_logits, self.loss_scale_weights)):
            # resized in float32 as in predict_by_feat, also under autocast
            logit = logit.float()
            if logit.shape[-2:] != gt.shape[-2:]:
                logit = F.interpolate(
                    logit, gt.shape[-2:], mode='bilinear', align_corners=False)
            for loss in self.loss_decode:
                name = loss.loss_name if scale == 0 else \
                    f'{loss.loss_name}_s{scale + 1}'
                losses[name] = weight * loss(logit, gt, valid)
        return losses

    def predict_by_feat(self, seg_logits: List[torch.Tensor],
                        batch_img_metas: List[dict]) -> torch.Tensor:
        """The finest logits (float) resized to the batch's input size
        ``batch_input_shape`` (padding included)."""
        size = tuple(batch_img_metas[0]['batch_input_shape'])
        return F.interpolate(
            seg_logits[0].float(), size, mode='bilinear', align_corners=False)
