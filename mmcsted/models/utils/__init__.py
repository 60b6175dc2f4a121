from .inference_speed import (fuse_conv_bn, prepare_for_inference,
                              to_channels_last)

__all__ = ['fuse_conv_bn', 'prepare_for_inference', 'to_channels_last']
