from .base_actor_seg_head import BaseActorSegHead
from .csted_head import CSTEDHead, MaskHead
from .cstm_release_head import CSTMReleaseHead

__all__ = ['BaseActorSegHead', 'CSTEDHead', 'MaskHead', 'CSTMReleaseHead']
