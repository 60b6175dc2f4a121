"""Building a CSTED model for inference from a config and a checkpoint."""
import copy
import logging
import os.path as osp
from pathlib import Path
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)

from mmcsted.registry import MODELS
from ..model_zoo import resolve_checkpoint

ConfigType = Union[str, Path, Config]

def _text_encoder_cfgs(model_cfg) -> List[dict]:
    """The text encoder configs of a model: the shared one (``text_encoder``
    of the model, as in the authors' release) and the encoders' own."""
    out = [model_cfg['text_encoder']] if model_cfg.get('text_encoder') else []
    for key in ('spatial_encoder', 'temporal_encoder'):
        enc = model_cfg.get(key)
        if enc and enc.get('text_encoder'):
            out.append(enc['text_encoder'])
    return out


def vocab_from_checkpoint_if_missing(model_cfg) -> None:
    """A GRU text encoder whose vocabulary file is absent takes the vocabulary
    stored in the checkpoint (it travels with the weights)."""
    for text in _text_encoder_cfgs(model_cfg):
        vocab_file = text.get('vocab_file')
        if text.get('type') == 'GRUTextEncoder' and text.get('vocab') is None \
                and (vocab_file is None or not osp.isfile(vocab_file)):
            if vocab_file:
                print_log(
                    f'vocabulary file {vocab_file} not found: the vocabulary '
                    'stored in the checkpoint is used',
                    logger='current')
            text['vocab_file'] = None
            text['vocab_from_checkpoint'] = True


def _report_loading(model: nn.Module, state_dict: dict,
                    checkpoint: str) -> Dict[str, list]:
    model_state = model.state_dict()
    ckpt_keys = {
        k[len('module.'):] if k.startswith('module.') else k
        for k in state_dict
    }
    ckpt_shapes = {
        (k[len('module.'):] if k.startswith('module.') else k): tuple(v.shape)
        for k, v in state_dict.items() if isinstance(v, torch.Tensor)
    }
    missing = sorted(
        k for k in model_state
        if k not in ckpt_keys and not k.endswith('num_batches_tracked'))
    unexpected = sorted(k for k in ckpt_keys if k not in model_state)
    mismatched = sorted(
        f'{k}: checkpoint {ckpt_shapes[k]}, model '
        f'{tuple(model_state[k].shape)}' for k in ckpt_shapes
        if k in model_state and isinstance(model_state[k], torch.Tensor)
        and tuple(model_state[k].shape) != ckpt_shapes[k])
    loaded = len([k for k in model_state if k in ckpt_keys]) - len(mismatched)
    report = dict(missing=missing,
                  unexpected=unexpected,
                  mismatched=mismatched,
                  loaded=loaded)
    if loaded <= 0:
        raise RuntimeError(
            f'no weight of {checkpoint} fits the model: wrong config for this '
            f'checkpoint? (model keys e.g. {list(model_state)[:3]}, '
            f'checkpoint keys e.g. {sorted(ckpt_keys)[:3]})')

    def head(keys, n=8):
        more = f' ... (+{len(keys) - n} more)' if len(keys) > n else ''
        return '\n    ' + '\n    '.join(keys[:n]) + more

    if missing or unexpected or mismatched:
        msg = [
            f'checkpoint {checkpoint} does not fit the model exactly: '
            f'{loaded} of {len(model_state)} entries loaded'
        ]
        if missing:
            msg.append(f'  {len(missing)} missing in the checkpoint (left '
                       f'as initialised):{head(missing)}')
        if mismatched:
            msg.append(f'  {len(mismatched)} of another shape (not '
                       f'loaded):{head(mismatched)}')
        if unexpected:
            msg.append(f'  {len(unexpected)} unused checkpoint entries:'
                       f'{head(unexpected)}')
        print_log('\n'.join(msg), logger='current', level=logging.WARNING)
    else:
        print_log(f'checkpoint {checkpoint}: all {loaded} entries loaded',
                  logger='current')
    return report


def init_model(config: ConfigType,
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device] = 'cpu',
               cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a CSTED model from a config and load its weights.

    Args:
        config: a config file or :class:`mmengine.Config`.
        checkpoint: a path, an http(s) URL or a model-zoo name of
            ``configs/csted/metafile.yml`` (see :func:`resolve_checkpoint`);
            loaded by mmengine's loader, which mmcsted makes safe
            (``weights_only=True``, hash-checked downloads). None: random
            weights (a warning is logged).
        device: where the model goes.
        cfg_options: overrides merged into the config.

    Returns:
        The model in eval mode, with ``cfg`` (the config),
        ``checkpoint_report`` (missing / unexpected / mismatched keys) and,
        if the checkpoint has it, ``dataset_meta``.
    """
    if isinstance(config, (str, Path)):
        cfg = Config.fromfile(str(config))
    elif isinstance(config, Config):
        cfg = copy.deepcopy(config)
    else:
        raise TypeError('config must be a file name or a Config, got '
                        f'{type(config).__name__}')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    from mmcsted.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmcsted'))

    path = None
    if checkpoint is not None:
        path = resolve_checkpoint(str(checkpoint))
        vocab_from_checkpoint_if_missing(cfg.model)
    model = MODELS.build(cfg.model)
    model.checkpoint_report = None
    if path is not None:
        ckpt = _load_checkpoint(path, map_location='cpu', logger='current')
        state = ckpt.get('state_dict', ckpt) if isinstance(ckpt,
                                                           dict) else ckpt
        _load_checkpoint_to_model(model, ckpt, strict=False, logger='current')
        model.checkpoint_report = _report_loading(model, state, path)
        meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
        if isinstance(meta, dict) and meta.get('dataset_meta'):
            model.dataset_meta = meta['dataset_meta']
    else:
        print_log('init_model without a checkpoint: the weights are random',
                  logger='current',
                  level=logging.WARNING)
    model.cfg = cfg
    model.to(device)
    model.eval()
    return model
