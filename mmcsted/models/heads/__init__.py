from .csted_head import CSTEDHead, MaskHead

__all__ = ['CSTEDHead', 'MaskHead']
