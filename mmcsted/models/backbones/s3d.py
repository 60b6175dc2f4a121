"""torchvision's S3D (separable Inception-v1 I3D, Kinetics-400) for CSTED.

The paper's Table 3d swaps its Inception-v1 I3D temporal encoder for S3D (Xie
et al., "Rethinking Spatiotemporal Feature Learning", ECCV 2018). torchvision
ships the architecture with Kinetics-400 weights; this module builds the same
layers under the same parameter names, so torchvision's state dict loads with
no renaming, and declares the paper's five-stage split for
:class:`StagedBackbone`.
"""
from functools import partial
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torchvision.models.video.s3d import S3D as _TVS3D

from mmcsted.registry import MODELS
from .pretrained import scoped_pretrained_cfg

#: torchvision's ``S3D_Weights.KINETICS400_V1`` (SHA-256 prefix ``d76dad2f``,
#: checked on download from the file name).
S3D_KINETICS400_URL = 'https://download.pytorch.org/models/s3d-d76dad2f.pth'


@MODELS.register_module()
class TorchvisionS3D(BaseModule):
    """torchvision's S3D architecture with its parameter names.

    Stages for CSTED (``stage_names``; sizes for an 8-frame clip)::

        stage  modules         paper's name                   C  stride  T
        1      features.0      Conv3d_1a (sep. 7x7x7, /2)    64     2  4
        2      features.1-3    MaxPool_2a, Conv_2b, Conv_2c 192     4  4
        3      features.4-6    MaxPool_3a, Mixed_3b, 3c     480     8  4
        4      features.7-12   MaxPool_4a, Mixed_4b..4f     832    16  2
        5      features.13-15  MaxPool_5a, Mixed_5b, 5c    1024    32  1

    Weights: ``init_cfg=dict(type='Pretrained',
    checkpoint=S3D_KINETICS400_URL)`` on the :class:`StagedBackbone` (or on
    this module), no ``prefix``; ``S3D_KINETICS400_URL`` is
    ``https://download.pytorch.org/models/s3d-d76dad2f.pth`` (the name's
    ``d76dad2f`` is the file's SHA-256 prefix). Nothing is downloaded in the
    constructor.

    Normalisation the Kinetics weights expect (torchvision's
    ``VideoClassification`` transform): RGB in [0, 1], then
    ``mean = (0.43216, 0.394666, 0.37645)``,
    ``std = (0.22803, 0.22145, 0.216989)``; in the 0..255 units of mmcsted's
    data preprocessor ``to_mean=[110.2008, 100.63983, 95.99475]``,
    ``to_std=[58.14765, 56.46975, 55.332195]`` (class attributes
    ``mean_255`` / ``std_255``), e.g. ``StagedBackbone(...,
    renormalize=dict(from_mean=imagenet_mean, from_std=imagenet_std,
    to_mean=[110.2008, ...], to_std=[58.14765, ...]))``.

    Cost: 18.4 GFLOPs (one multiply-add = one FLOP, mmengine's
    ``get_model_complexity_info``) and 7.9 M parameters for ``features`` on a
    1 x 3 x 8 x 320 x 320 clip (stages 4.9 / 5.8 / 4.4 / 3.0 / 0.3 GFLOPs).

    Args:
        num_classes (int, optional): size of torchvision's ``classifier`` head
            (400 for the Kinetics checkpoint); ``None`` or 0 builds no head
            (and no ``avgpool``), and ``forward`` returns the last feature
            map.
        dropout (float): dropout before the classifier.
        norm_eps (float): BatchNorm eps (torchvision: 1e-3).
        norm_momentum (float): BatchNorm momentum (torchvision: 1e-3, i.e. the
            running statistics move very slowly when fine-tuned).
        init_cfg (dict, optional): mmengine init config; a ``Pretrained``
            entry is loaded like :class:`StagedBackbone` loads it (checked
            layout, logged key counts, an error if nothing matches).
    """

    stage_names = (
        ('features.0', ),
        ('features.1', 'features.2', 'features.3'),
        ('features.4', 'features.5', 'features.6'),
        tuple(f'features.{i}' for i in range(7, 13)),
        ('features.13', 'features.14', 'features.15'),
    )
    mean = (0.43216, 0.394666, 0.37645)
    std = (0.22803, 0.22145, 0.216989)
    mean_255 = (110.2008, 100.63983, 95.99475)
    std_255 = (58.14765, 56.46975, 55.332195)

    def __init__(self,
                 num_classes: Optional[int] = None,
                 dropout: float = 0.2,
                 norm_eps: float = 1e-3,
                 norm_momentum: float = 1e-3,
                 init_cfg: Optional[Dict] = None):
        super().__init__(init_cfg=scoped_pretrained_cfg(init_cfg))
        tv = _TVS3D(
            num_classes=num_classes or 1,
            dropout=dropout,
            norm_layer=partial(
                nn.BatchNorm3d, eps=norm_eps, momentum=norm_momentum))
        self.num_classes = num_classes or None
        self.features = tv.features
        if self.num_classes:
            self.avgpool = tv.avgpool
            self.classifier = tv.classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 3, T, H, W)`` -> logits ``(N, num_classes)`` (torchvision's
        forward; needs T >= 14 and 224 px) or, without a head, the last
        feature map ``(N, 1024, T/8, H/32, W/32)``."""
        x = self.features(x)
        if 'classifier' not in self._modules:
            return x
        x = self.classifier(self.avgpool(x))
        return torch.mean(x, dim=(2, 3, 4))

    def convert_pretrained(
            self, state_dict: Dict[str,
                                   torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Check that ``state_dict`` is in torchvision's S3D layout.

        Keys are kept as they are (torchvision's names are this module's);
        ``classifier.*`` is dropped, with a log line, when this module has no
        head (built without one, or removed by :class:`StagedBackbone`). Any
        other key this module does not have is an error that names the keys
        (e.g. a checkpoint of another S3D port, or one with an outer prefix,
        which ``prefix=`` in the ``Pretrained`` config removes). Missing keys
        are left to the loader to report.
        """
        own = set(self.state_dict())
        state = dict(state_dict)
        if 'classifier' not in self._modules:  # no head, or removed
            head = [k for k in state if k.split('.', 1)[0] == 'classifier']
            if head:
                for k in head:
                    del state[k]
                print_log(
                    f'TorchvisionS3D: no head, {len(head)} classifier tensors '
                    'not used',
                    logger='current')
        unknown = [k for k in state if k not in own]
        if unknown or not state:
            prefixes = sorted({
                k[:k.index('features.')]
                for k in unknown if k.find('features.') > 0
            })
            hint = (f' (the keys carry the prefix {prefixes[0]!r}: set '
                    f'prefix={prefixes[0]!r} in the Pretrained config)'
                    if len(prefixes) == 1 else '')
            raise ValueError(
                f'not a torchvision S3D state dict: {len(unknown)} of '
                f'{len(state)} keys are not TorchvisionS3D keys, e.g. '
                f'{unknown[:5]}{hint}; expected keys like '
                f'{sorted(own)[:3]}')
        return state
