"""Inference-only changes of a model that keep its outputs (to float
precision) and cut its time on a GPU; measured in docs/benchmark.md.

mmcv's ``fuse_conv_bn`` folds 2D convolutions only; the temporal encoders
are 3D (and the Inception-v1 I3D's BN has no scale), so :func:`fuse_conv_bn`
uses PyTorch's ``fuse_conv_bn_eval``, which handles 1D/2D/3D and a missing
scale.
"""
import torch
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


def to_channels_last(model: nn.Module) -> nn.Module:
    """Convolution weights in channels-last memory order, 2D (NHWC) and 3D
    (NDHWC) alike (``Module.to(memory_format=...)`` refuses rank-5
    tensors), in place: cuDNN then runs NHWC kernels without transposing
    every activation in and out. Returns ``model``."""
    for param in model.parameters():
        if param.dim() == 4:
            param.data = param.data.contiguous(
                memory_format=torch.channels_last)
        elif param.dim() == 5:
            param.data = param.data.contiguous(
                memory_format=torch.channels_last_3d)
    return model


def prepare_for_inference(model: nn.Module,
                          fuse_bn: bool = False,
                          bf16: bool = False,
                          channels_last: bool = False) -> nn.Module:
    """``model`` in eval mode with BN folded (``fuse_bn``), its floating
    weights cast to bfloat16 once (``bf16``: run it under
    ``torch.autocast(dtype=torch.bfloat16)``, which otherwise casts every
    weight again at every forward) and its convolution weights in
    channels-last order; in place. Returns ``model``."""
    model.eval()
    if fuse_bn:
        fuse_conv_bn(model)
    if bf16:
        model.to(torch.bfloat16)
    if channels_last:
        to_channels_last(model)
    return model
