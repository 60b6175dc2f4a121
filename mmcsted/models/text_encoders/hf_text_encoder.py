from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmcsted.registry import MODELS
from .base_word_text_encoder import tokenize_queries


@MODELS.register_module()
class HFTextEncoder(BaseModule):
    """A ``transformers`` encoder (BERT, RoBERTa, ...) as the word encoder.

    Args:
        model_name_or_path (str): a local directory or a hub name (a hub name
            needs the network or the local hub cache).
        out_channels (int): the token features are projected to this width.
        max_words (int): queries are cut to this many words before sub-word
            tokenisation (20 in the paper).
        max_tokens (int): sub-word tokens kept.
        freeze (bool): keep the language model's weights fixed (the
            projection still trains).
    """

    def __init__(self,
                 model_name_or_path: str,
                 out_channels: int = 512,
                 max_words: int = 20,
                 max_tokens: int = 40,
                 freeze: bool = True,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        from transformers import AutoModel, AutoTokenizer
        self.tokenizer = AutoTokenizer.from_pretrained(model_name_or_path)
        self.language_model = AutoModel.from_pretrained(model_name_or_path)
        self.freeze = freeze
        if freeze:
            self.language_model.requires_grad_(False)
        self.proj = nn.Linear(self.language_model.config.hidden_size,
                              out_channels)
        self.out_channels = out_channels
        self.max_words = max_words
        self.max_tokens = max_tokens
        self._warn_state = {}

    def tokenize(self,
                 texts: Sequence[str],
                 device=None) -> Tuple[torch.Tensor, torch.Tensor]:
        words = tokenize_queries(texts, self.max_words, self._warn_state)
        enc = self.tokenizer([' '.join(w) for w in words],
                             padding=True,
                             truncation=True,
                             max_length=self.max_tokens,
                             return_tensors='pt')
        device = device or self.proj.weight.device
        return enc['input_ids'].to(device), enc['attention_mask'].to(
            device).bool()

    def forward(self, ids: torch.Tensor,
                mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        with torch.set_grad_enabled(torch.is_grad_enabled()
                                    and not self.freeze):
            hidden = self.language_model(
                input_ids=ids, attention_mask=mask.long()).last_hidden_state
        out = self.proj(hidden)
        return out * mask.unsqueeze(-1).to(out.dtype), mask

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze:  # dropout off in a frozen language model
            self.language_model.eval()
        return self

    def init_weights(self) -> None:
        # The language model keeps its pretrained weights; only the projection
        # is initialised here.
        if self.init_cfg is None:
            nn.init.xavier_uniform_(self.proj.weight)
            nn.init.zeros_(self.proj.bias)
        else:
            super().init_weights()
        self._is_init = True


__all__ = ['HFTextEncoder']
