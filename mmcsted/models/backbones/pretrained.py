"""Loading pretrained weights into a sub-module, loudly.

mmaction2's ResNet3d ignores ``init_cfg`` and, given a whole recognizer checkpoint
(keys ``backbone.*``), loads nothing without a word. Here the ``Pretrained`` init_cfg
is taken out of mmengine's hands, loaded safely (``weights_only=True``, downloads
hash-checked), the keys are matched after removing ``prefix``, and the counts of
loaded / missing / unexpected / shape-mismatched keys are logged. A checkpoint that
matches no key at all is an error, not a silent no-op.
"""
import logging
from typing import Dict, Optional, Sequence, Tuple

import torch.nn as nn
from mmengine.logging import print_log

from mmcsted.utils.checkpoint import load_weights, state_dict_from_checkpoint


def pop_pretrained_cfg(init_cfg) -> Tuple[object, Optional[Dict]]:
    """Split ``init_cfg`` into (the rest, the ``Pretrained`` entry or None)."""
    if init_cfg is None:
        return None, None
    cfgs = list(init_cfg) if isinstance(init_cfg, (list, tuple)) else [
        init_cfg
    ]
    pretrained = [c for c in cfgs if c.get('type') == 'Pretrained']
    rest = [c for c in cfgs if c.get('type') != 'Pretrained']
    if len(pretrained) > 1:
        raise ValueError('only one Pretrained init_cfg per module')
    rest = rest if len(rest) > 1 else (rest[0] if rest else None)
    return rest, (dict(pretrained[0]) if pretrained else None)


def load_pretrained_weights(module: nn.Module,
                            cfg: Dict,
                            name: str = 'module',
                            strict: bool = False,
                            unused_prefixes: Sequence[str] = ()
                            ) -> Dict[str, list]:
    """Load ``cfg['checkpoint']`` (path or URL) into ``module``.

    ``cfg`` keys: ``checkpoint``, optional ``prefix`` (keys kept and stripped, e.g.
    ``'backbone.'``), optional ``sha256``. A module that defines
    ``convert_pretrained(state_dict)`` maps foreign key layouts (e.g. other ports
    of the same network) into its own names first. Keys under
    ``unused_prefixes`` (sub-modules the caller removed on purpose, such as a
    classifier head) are dropped and logged, not counted as unexpected.
    Returns the report dict with the lists ``missing``, ``unexpected`` and
    ``mismatched``.
    """
    ckpt_path = cfg['checkpoint']
    checkpoint = load_weights(ckpt_path, sha256=cfg.get('sha256'))
    state = state_dict_from_checkpoint(checkpoint, cfg.get('prefix'))
    if hasattr(module, 'convert_pretrained'):
        state = module.convert_pretrained(state)
    unused = [
        k for k in state
        if any(k.split('.', 1)[0] == p for p in unused_prefixes)
    ]
    if unused:
        state = {k: v for k, v in state.items() if k not in unused}
        print_log(
            f'{name}: {len(unused)} tensors of the removed sub-modules '
            f'{sorted(set(k.split(".", 1)[0] for k in unused))} not used',
            logger='current')
    own = module.state_dict()
    mismatched = [
        k for k, v in state.items()
        if k in own and hasattr(v, 'shape') and v.shape != own[k].shape
    ]
    state = {k: v for k, v in state.items() if k not in mismatched}
    result = module.load_state_dict(state, strict=False)
    missing = [
        k for k in result.missing_keys if not k.endswith('num_batches_tracked')
    ]
    loaded = len(state) - len(result.unexpected_keys)
    report = dict(
        missing=missing,
        unexpected=list(result.unexpected_keys),
        mismatched=mismatched)
    if loaded == 0:
        raise RuntimeError(
            f'{ckpt_path} has no weight that fits {name} (prefix='
            f'{cfg.get("prefix")!r}); first checkpoint keys: '
            f'{list(state)[:3] or "none"}; first expected keys: {list(own)[:3]}')
    print_log(
        f'{name}: loaded {loaded} tensors from {ckpt_path}; '
        f'{len(missing)} missing, {len(report["unexpected"])} unexpected, '
        f'{len(mismatched)} with another shape', logger='current')
    for kind, keys in report.items():
        if keys:
            print_log(f'{name}: {kind} keys: {keys[:10]}'
                      f'{" ..." if len(keys) > 10 else ""}', logger='current',
                      level=logging.WARNING)
    if strict and any(report.values()):
        raise RuntimeError(f'{name}: checkpoint {ckpt_path} does not match '
                           f'exactly: {report}')
    return report
