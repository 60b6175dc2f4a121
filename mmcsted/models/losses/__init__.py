from .mask_losses import MaskBCELoss, MaskDiceLoss

__all__ = ['MaskBCELoss', 'MaskDiceLoss']
