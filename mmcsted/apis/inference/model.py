"""Building a CSTED model for inference from a config and a checkpoint."""
import copy
import logging
import os.path as osp
from pathlib import Path
from typing import List, Optional, Union

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)

from mmcsted.registry import MODELS
from mmcsted.utils.checkpoint import check_checkpoint_fits
from mmcsted.utils.setup_env import install_stack_workarounds
from ..model_zoo import resolve_checkpoint, resolve_config

ConfigType = Union[str, Path, Config]


def _text_encoder_cfgs(model_cfg) -> List[dict]:
    """The text encoder configs of a model: the shared one (``text_encoder``
    of the model, as in the authors' CSTM code) and the encoders' own."""
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


def init_model(config: ConfigType,
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device] = 'cpu',
               cfg_options: Optional[dict] = None,
               allow_mismatch: bool = False) -> nn.Module:
    """Build a CSTED model from a config and load its weights.

    Args:
        config: what :func:`resolve_config` takes (a file, a path under
            the configs' root, a model-zoo name) or :class:`mmengine.Config`.
        checkpoint: what :func:`resolve_checkpoint` takes, loaded safely
            (docs/get_started.md); None: random weights (a warning).
        device: where the model goes.
        cfg_options: overrides merged into the config.
        allow_mismatch: load a checkpoint that does not fit the config
            (missing, unexpected or reshaped weights) instead of raising
            :class:`~mmcsted.utils.CheckpointMismatchError`.

    Returns:
        The model in eval mode, with ``cfg`` (the config),
        ``checkpoint_report`` (missing / unexpected / mismatched keys) and,
        if the checkpoint has it, ``dataset_meta``.
    """
    install_stack_workarounds()  # before the config: mmaction:: bases
    cfg = _load_config(config, cfg_options)
    path = None
    if checkpoint is not None:
        path = resolve_checkpoint(str(checkpoint))
        vocab_from_checkpoint_if_missing(cfg.model)
    model = MODELS.build(cfg.model)
    model.checkpoint_report = None
    if path is not None:
        _load_weights(model, path,
                      getattr(cfg, 'filename', None) or str(config),
                      allow_mismatch)
    else:
        print_log(
            'init_model without a checkpoint: the weights are random',
            logger='current',
            level=logging.WARNING)
    model.cfg = cfg
    model.to(device)
    model.eval()
    return model


def _load_config(config: ConfigType, cfg_options: Optional[dict]) -> Config:
    """The config (a copy of a given one) with ``cfg_options`` merged, its
    registries set up."""
    if isinstance(config, (str, Path)):
        cfg = Config.fromfile(resolve_config(str(config)))
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
    return cfg


def _load_weights(model: nn.Module, path: str, config_name: str,
                  allow_mismatch: bool) -> None:
    """Load the checkpoint into ``model`` with mmengine (which logs what
    does not fit); set its ``checkpoint_report`` and the checkpoint's
    ``dataset_meta``; refuse a misfit unless allowed."""
    ckpt = _load_checkpoint(path, map_location='cpu')
    model.checkpoint_report = check_checkpoint_fits(model, ckpt, path,
                                                    config_name,
                                                    allow_mismatch)
    _load_checkpoint_to_model(model, ckpt, logger='current')
    meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
    if isinstance(meta, dict) and meta.get('dataset_meta'):
        model.dataset_meta = meta['dataset_meta']
