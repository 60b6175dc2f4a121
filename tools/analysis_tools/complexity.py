"""Parameters and FLOPs of a CSTED model, split by component.

mmengine's ``get_model_complexity_info`` (fvcore-style tracing) counts one
fused multiply-add as one FLOP, the paper's convention. The model is traced
through a wrapper taking tensors only (the text is tokenised beforehand).
"""
from typing import Dict, Sequence

import torch
import torch.nn as nn
from mmengine.analysis import FlopAnalyzer, get_model_complexity_info


class _TensorInputs(nn.Module):
    """CSTED as a function of tensors, for tracing (``num_scales=1``: the
    finest logits only, as ``predict`` computes)."""

    def __init__(self, model, num_scales=None):
        super().__init__()
        self.model = model
        self.head_kwargs = {} if num_scales is None else dict(
            num_scales=num_scales)

    def forward(self, clip, frame, target_index, *token_tensors):
        keys = list(self.model.encoders)
        tokens = {
            k: (token_tensors[2 * i], token_tensors[2 * i + 1])
            for i, k in enumerate(keys)
        }
        spatial, temporal, sentence = self.model.encode(
            clip, frame, tokens, target_index)
        return self.model.decode_head(spatial, temporal, sentence,
                                      **self.head_kwargs)


def _components(model) -> Dict[str, Sequence[str]]:
    """Component name -> module-name prefixes (relative to the model)."""
    parts = {}
    for key, enc in model.encoders.items():
        parts[f'{key} encoder (backbone)'] = [f'{key}_encoder.backbone']
        parts[f'{key} CMAM'] = [f'{key}_encoder.cmams']
    parts['text encoders'] = [
        f'{k}_encoder.text_encoder' for k, e in model.encoders.items()
        if e.text_encoder is not None
    ]
    if getattr(model, 'text_encoder', None) is not None:  # shared
        parts['text encoders'].append('text_encoder')
    parts['decoder'] = ['decode_head']
    return parts


def model_complexity(model,
                     clip_len: int = 8,
                     height: int = 320,
                     width: int = 320,
                     query: str = 'the man in a red shirt is running',
                     show_table: bool = False) -> Dict[str, object]:
    """FLOPs and parameters of ``model`` on one clip of the given size.

    Returns ``dict(flops, params, split={component: (flops, params)}, table)``.
    """
    model.eval()
    device = next(model.parameters()).device
    clip = torch.zeros(1, 3, clip_len, height, width, device=device)
    frame = clip[:, :, clip_len // 2]
    tokens = model.tokenize([query])
    inputs = (clip, frame, torch.tensor([clip_len // 2], device=device))
    for ids, mask in tokens.values():
        inputs += (ids, mask)
    wrapper = _TensorInputs(model)
    with torch.no_grad():
        info = get_model_complexity_info(
            wrapper, inputs=inputs, show_table=show_table, show_arch=False)
        by_module = FlopAnalyzer(wrapper, inputs).unsupported_ops_warnings(
            False).uncalled_modules_warnings(False).by_module()
    split = {}
    for name, prefixes in _components(model).items():
        flops = sum(by_module.get(f'model.{p}', 0) for p in prefixes)
        params = sum(p.numel() for n, p in model.named_parameters() if any(
            n.startswith(pre + '.') for pre in prefixes))
        split[name] = (flops, params)
    return dict(
        flops=info['flops'],
        params=info['params'],
        split=split,
        table=info.get('out_table', ''))
