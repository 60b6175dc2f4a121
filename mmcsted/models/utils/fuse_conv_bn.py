"""Fold inference-mode BatchNorm into the convolution before it.

mmcv's ``fuse_conv_bn`` folds 2D convolutions only; the temporal encoders
are 3D (and the Inception-v1 I3D's BN has no scale), so this one uses
PyTorch's ``fuse_conv_bn_eval``, which handles 1D/2D/3D and a missing
scale.
"""
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd
from torch.nn.utils.fusion import fuse_conv_bn_eval


def fuse_conv_bn(module: nn.Module) -> nn.Module:
    """Fold every BatchNorm child that directly follows a convolution child
    (module registration order, as conv -> BN units are built) into it, in
    place; the BN becomes ``nn.Identity``. For inference only: the model must
    be in eval mode, and training it afterwards would train the folded
    weights. Returns ``module``."""
    if module.training:
        raise RuntimeError('fuse_conv_bn needs a model in eval mode')
    last_conv, last_name = None, None
    for name, child in list(module.named_children()):
        if isinstance(child, _BatchNorm) and last_conv is not None \
                and child.track_running_stats \
                and child.num_features == last_conv.out_channels:
            module._modules[last_name] = fuse_conv_bn_eval(last_conv, child)
            module._modules[name] = nn.Identity()
            last_conv = None
        elif isinstance(child, _ConvNd) and not child.transposed:
            last_conv, last_name = child, name
        else:
            # anything in between (an activation, a pad) breaks the pair
            last_conv = None
            fuse_conv_bn(child)
    return module
