"""Parameters and FLOPs of a CSTED config (one multiply-add = one FLOP).

    python tools/analysis_tools/get_flops.py CONFIG [--shape T H W]

Pretrained weights are not downloaded (only the architecture counts); a
vocabulary file need not exist (a placeholder vocabulary of the same kind is
used, the GRU cost does not depend on its size).
"""
import argparse
import os.path as osp
import sys

import torch
from mmengine.config import Config, DictAction

# run as a script: the folder holding tools/ (a checkout, or an installed
# mmcsted/.mim) goes on the path for the modules tools share
# (tools.analysis_tools.complexity)
if __name__ == '__main__':
    sys.path.insert(0, osp.abspath(__file__ + '/../../..'))

from mmcsted.registry import MODELS
from mmcsted.utils import register_all_modules
from tools.analysis_tools.complexity import model_complexity


def build_offline(model_cfg: dict):
    """The model of a config with no download: no Pretrained weights, and
    placeholder vocabularies (also for text encoders that wait for the
    checkpoint's vocabulary, such as CSTM's GloVe encoder)."""
    model = MODELS.build(offline(model_cfg))
    for module in model.modules():
        if getattr(module, 'awaits_vocab', False) and hasattr(
                module, 'set_vocabulary'):
            module.set_vocabulary(['word'], torch.zeros(1, module.embed_dims))
    return model


def offline(node):
    """Drop Pretrained init_cfgs and give GRU encoders a placeholder vocab."""
    if isinstance(node, dict):
        init = node.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            node['init_cfg'] = None
        if node.get('type') == 'GRUTextEncoder':
            node.update(vocab=['word'], vocab_file=None)
        for value in node.values():
            offline(value)
    return node


def main():
    parser = argparse.ArgumentParser(description='CSTED parameters and FLOPs')
    parser.add_argument('config')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=3,
        default=None,
        metavar=('T', 'H', 'W'),
        help='clip size (default: clip_len x 320 x 320)')
    parser.add_argument(
        '--table',
        action='store_true',
        help='print the per-module table of mmengine')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = build_offline(cfg.model.to_dict())
    t, h, w = args.shape or (model.clip_len, 320, 320)
    result = model_complexity(model, t, h, w, show_table=args.table)
    if args.table:
        print(result['table'])
    print(f'input: 1 x 3 x {t} x {h} x {w}')
    print(f'{"component":<28}{"GFLOPs":>10}{"params (M)":>14}')
    for name, (flops, params) in result['split'].items():
        print(f'{name:<28}{flops / 1e9:>10.2f}{params / 1e6:>14.2f}')
    print(f'{"total":<28}{result["flops"] / 1e9:>10.2f}'
          f'{result["params"] / 1e6:>14.2f}')


if __name__ == '__main__':
    main()
