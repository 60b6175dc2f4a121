from .mask_losses import MaskBCELoss

__all__ = ['MaskBCELoss']
