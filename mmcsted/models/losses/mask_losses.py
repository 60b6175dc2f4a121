from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmcsted.registry import MODELS


def _weighted_mean(values: torch.Tensor,
                   valid: Optional[torch.Tensor]) -> torch.Tensor:
    if valid is None:
        return values.mean()
    valid = valid.to(values.dtype)
    return (values * valid).sum() / valid.sum().clamp_min(1.)


@MODELS.register_module()
class MaskBCELoss(nn.Module):
    """Binary cross-entropy on mask logits (the paper's loss), averaged over
    the valid (non-padding) pixels."""

    def __init__(self,
                 loss_weight: float = 1.0,
                 pos_weight: float = 1.0,
                 loss_name: str = 'loss_bce'):
        super().__init__()
        self.loss_weight = loss_weight
        self.pos_weight = pos_weight
        self.loss_name = loss_name

    def forward(self,
                logits: torch.Tensor,
                target: torch.Tensor,
                valid: Optional[torch.Tensor] = None) -> torch.Tensor:
        target = target.to(logits.dtype)
        pos_weight = logits.new_tensor(self.pos_weight) \
            if self.pos_weight != 1.0 else None
        loss = F.binary_cross_entropy_with_logits(
            logits, target, pos_weight=pos_weight, reduction='none')
        return self.loss_weight * _weighted_mean(loss, valid)
