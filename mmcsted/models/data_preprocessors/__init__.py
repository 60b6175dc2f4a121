from .csted_data_preprocessor import CSTEDDataPreprocessor

__all__ = ['CSTEDDataPreprocessor']
