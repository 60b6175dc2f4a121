from .csted_head import CSTEDHead, MaskHead
from .cstm_release_head import CSTMReleaseHead

__all__ = ['CSTEDHead', 'MaskHead', 'CSTMReleaseHead']
