"""The ``Pretrained`` initializer of mmcsted: mmengine's, made safe and loud.

``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')`` is
mmengine's own machinery (``BaseModule.init_weights`` runs it after the
children's ``init_weights``, so the loaded weights are the last word). In the
``mmcsted`` scope the name resolves to :class:`CheckedPretrainedInit`, which

* loads through :func:`mmcsted.utils.checkpoint.load_weights`
  (``weights_only=True``, hash-checked downloads and hash-named files, an
  optional ``sha256``, ``package://`` files, plain numpy pickles);
* loads into ``module.pretrained_target`` when the module names one (the
  wrapped backbone of :class:`StagedBackbone`, whose checkpoint keys are
  relative to it), after the target's ``convert_pretrained(state_dict)``
  (foreign key layouts, e.g. other ports of the same network);
* drops keys under ``module.pretrained_unused_prefixes`` (sub-modules removed
  on purpose, such as a classifier head) with a log line;
* fails on a checkpoint that matches no key (mmaction2's ResNet3d, given a
  whole recognizer checkpoint, loads nothing without a word), see
  :func:`mmcsted.utils.checkpoint.checkpoint_fit`; mmengine's
  ``load_state_dict`` loads and logs the missing, unexpected and reshaped keys.

mmcsted's modules put ``_scope_='mmcsted'`` into their ``Pretrained`` entry
(:func:`scoped_pretrained_cfg`), so the checked initializer is used whatever
the default scope is when ``init_weights`` runs.
"""
import copy
from typing import Dict, List, Optional, Sequence

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model.weight_init import PretrainedInit, update_init_info
from mmengine.runner.checkpoint import load_state_dict

from mmcsted.registry import WEIGHT_INITIALIZERS
from mmcsted.utils.checkpoint import (checkpoint_fit, load_weights,
                                      state_dict_from_checkpoint)


@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class CheckedPretrainedInit(PretrainedInit):
    """Load a checkpoint (path, URL, ``package://``) into a module.

    Args:
        checkpoint (str): where the weights are.
        prefix (str, optional): keep only the keys under it, removed (e.g.
            ``'backbone.'`` of a recognizer / classifier checkpoint).
        map_location (str): where tensors go. Defaults to ``'cpu'``.
        sha256 (str, optional): the file's SHA-256 (or a prefix of it).
        strict (bool): raise if any key is missing, unexpected or of another
            shape.
    """

    def __init__(self,
                 checkpoint: str,
                 prefix: Optional[str] = None,
                 map_location: str = 'cpu',
                 sha256: Optional[str] = None,
                 strict: bool = False):
        super().__init__(checkpoint, prefix=prefix, map_location=map_location)
        self.sha256 = sha256
        self.strict = strict

    def __call__(self, module: nn.Module) -> None:
        self.load_into(
            getattr(module, 'pretrained_target', module),
            unused_prefixes=getattr(module, 'pretrained_unused_prefixes', ()))
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def load_into(
        self,
        target: nn.Module,
        name: Optional[str] = None,
        unused_prefixes: Sequence[str] = ()
    ) -> Dict[str, List]:
        """Load the checkpoint into ``target`` itself; returns the report
        (lists ``missing``, ``unexpected``, ``mismatched``)."""
        name = name or type(target).__name__
        checkpoint = load_weights(
            self.checkpoint,
            map_location=self.map_location,
            sha256=self.sha256)
        state = state_dict_from_checkpoint(checkpoint, self.prefix)
        if hasattr(target, 'convert_pretrained'):
            state = target.convert_pretrained(state)
        state = _drop_unused(state, unused_prefixes, name)
        report = checkpoint_fit(
            target, state, self.checkpoint, hint=f' (prefix={self.prefix!r})')
        if self.strict and any(report.values()):
            raise RuntimeError(f'{name}: checkpoint {self.checkpoint} does '
                               f'not match exactly: {report}')
        load_state_dict(target, state, strict=False, logger='current')
        return report


def _drop_unused(state_dict: Dict, unused_prefixes: Sequence[str],
                 name: str) -> Dict:
    """The state dict without the keys under ``unused_prefixes`` (logged)."""

    def unused(key, prefixes=unused_prefixes):
        return any(key == p or key.startswith(p + '.') for p in prefixes)

    state = type(state_dict)(
        (k, v) for k, v in state_dict.items() if not unused(k))
    if hasattr(state_dict, '_metadata'):  # module versions, for old BN etc.
        state._metadata = state_dict._metadata
    if len(state) < len(state_dict):
        removed = sorted(
            p for p in unused_prefixes if any(
                unused(k, (p, )) for k in state_dict))
        print_log(
            f'{name}: {len(state_dict) - len(state)} tensors of the removed '
            f'sub-modules {removed} not used',
            logger='current')
    return state


def scoped_pretrained_cfg(init_cfg):
    """``init_cfg`` with ``_scope_='mmcsted'`` in its ``Pretrained`` entries,
    so that they build :class:`CheckedPretrainedInit` in any default scope
    (``type`` stays ``'Pretrained'``: mmengine runs those entries last)."""
    if init_cfg is None:
        return None
    single = not isinstance(init_cfg, (list, tuple))
    cfgs = [init_cfg] if single else list(init_cfg)
    out = []
    for cfg in cfgs:
        cfg = copy.deepcopy(cfg)
        if cfg.get('type') == 'Pretrained':
            cfg.setdefault('_scope_', 'mmcsted')
        out.append(cfg)
    return out[0] if single else out


def load_pretrained_weights(
        module: nn.Module,
        cfg: Dict,
        name: Optional[str] = None,
        strict: bool = False,
        unused_prefixes: Sequence[str] = (),
) -> Dict[str, list]:
    """Load the ``Pretrained`` config ``cfg`` (``checkpoint``, optional
    ``prefix``, ``sha256``) into ``module`` itself and return the report; for
    tools and tests that load outside ``init_weights``."""
    args = {k: v for k, v in cfg.items() if k not in ('type', '_scope_')}
    init = CheckedPretrainedInit(**args, strict=strict)
    return init.load_into(module, name=name, unused_prefixes=unused_prefixes)
