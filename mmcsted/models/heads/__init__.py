from .base_actor_seg_head import BaseActorSegHead
from .csted_head import CSTEDHead, MaskHead
from .cstm_head import CSTMHead

__all__ = ['BaseActorSegHead', 'CSTEDHead', 'MaskHead', 'CSTMHead']
