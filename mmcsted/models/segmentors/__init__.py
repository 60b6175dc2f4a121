from .csted import CSTED

__all__ = ['CSTED']
