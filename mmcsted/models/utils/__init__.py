from .fuse_conv_bn import fuse_conv_bn

__all__ = ['fuse_conv_bn']
