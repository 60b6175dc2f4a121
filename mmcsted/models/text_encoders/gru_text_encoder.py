from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.logging import print_log

from mmcsted.registry import MODELS
from mmcsted.text import WordVocabulary
from .base_word_text_encoder import BaseWordTextEncoder, tokenize_queries
from .glove_gru_text_encoder import load_glove_vectors


@MODELS.register_module()
class GRUTextEncoder(BaseWordTextEncoder):
    """Word embeddings -> GRU -> LayerNorm -> tanh.

    The paper's text encoder, one per visual encoder; the LayerNorm + tanh and
    the widths (300 -> 512) come from the authors' CSTM code. It is NOT the
    CSTM's text path: there the GloVe vectors are fixed inputs (no trainable
    embedding; unknown words are zero vectors), one bias-free GRU is shared by
    both encoders. Here the embedding is a trainable table (optionally
    GloVe-initialised, ``freeze_embedding`` to fix it) and the GRU has biases.
    CSTM's text path is :class:`GloVeGRUTextEncoder` (shared by both
    encoders with ``CSTED(text_encoder=...)``).

    The vocabulary is part of the module state (buffer ``vocab_buffer``, see
    :class:`BaseWordTextEncoder`), so a checkpoint carries the words it was
    trained with; loading a checkpoint whose vocabulary differs from the
    config's resizes the embedding to it.

    Args:
        vocab (list[str], optional) / vocab_file (str, optional): the words
            (a JSON list, built from the training queries by the data tools).
        embed_dims (int): 300 as GloVe.
        hidden_dims (int): 512 as in CSTM.
        max_words (int): queries are cut to this many words (20 in the paper).
        glove_file (str, optional): local GloVe file to initialise the
            embedding (see :func:`load_glove_vectors`); the coverage is
            logged.
        freeze_embedding (bool): keep the word vectors fixed.
        vocab_from_checkpoint (bool): build without a vocabulary; a checkpoint
            loaded later provides it (test-only configs such as J-HMDB, whose
            words are the A2D training vocabulary). Tokenising before that is
            an error.
    """

    word_tensors = ('embedding.weight', )

    def __init__(self,
                 vocab: Optional[Sequence[str]] = None,
                 vocab_file: Optional[str] = None,
                 embed_dims: int = 300,
                 hidden_dims: int = 512,
                 max_words: int = 20,
                 glove_file: Optional[str] = None,
                 freeze_embedding: bool = False,
                 vocab_from_checkpoint: bool = False,
                 init_cfg=None):
        super().__init__(vocab, vocab_file, vocab_from_checkpoint, max_words,
                         init_cfg)
        self.vocab = WordVocabulary(self.configured_words)
        self.embed_dims = embed_dims
        self.out_channels = hidden_dims
        self.glove_file = glove_file
        self.freeze_embedding = freeze_embedding
        self.embedding = nn.Embedding(
            len(self.vocab), embed_dims, padding_idx=WordVocabulary.pad_id)
        self.gru = nn.GRU(embed_dims, hidden_dims, batch_first=True)
        self.norm = nn.LayerNorm(hidden_dims)
        self._store_vocab(self.vocab.words)
        if freeze_embedding:
            self.embedding.weight.requires_grad_(False)

    def init_weights(self) -> None:
        super().init_weights()
        if self.glove_file:
            # <pad> and <unk> are no GloVe words
            vectors, _ = load_glove_vectors(self.glove_file,
                                            self.vocab.words[2:],
                                            self.embed_dims)
            with torch.no_grad():
                for word, vec in vectors.items():
                    self.embedding.weight[self.vocab.index[word]] = vec
            print_log(
                f'GloVe {self.glove_file}: {len(vectors)} of '
                f'{len(self.vocab) - 2} vocabulary words initialised',
                logger='current')

    def tokenize(self,
                 texts: Sequence[str],
                 device=None) -> Tuple[torch.Tensor, torch.Tensor]:
        """Word ids (N, L) and the mask of real words (N, L), L = the longest
        query of the batch. Unknown words become ``<unk>`` and are counted in
        ``self.unknown_words`` (the first sighting of each is logged)."""
        self._check_has_vocab()
        words = tokenize_queries(texts, self.max_words, self._warn_state)
        length = max(len(w) for w in words)
        ids = torch.full((len(words), length),
                         WordVocabulary.pad_id,
                         dtype=torch.long)
        for i, w in enumerate(words):
            for word in w:
                if word not in self.vocab:
                    self._count_unknown(word, '<unk>')
            ids[i, :len(w)] = torch.tensor(self.vocab.lookup(w))
        # Not `ids != pad`: a word may be unknown, never a pad.
        mask = torch.arange(length)[None] < torch.tensor(
            [len(w) for w in words])[:, None]
        device = device or self.embedding.weight.device
        return ids.to(device), mask.to(device)

    def forward(self, ids: torch.Tensor,
                mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Word features (N, L, hidden_dims) and the word mask (N, L).

        The real words are a prefix of each row and the GRU runs forwards
        only, so their outputs do not depend on the pads after them: the
        padded batch goes through unpacked (what packing gives, without its
        copy of the lengths to the CPU, which waited for the GPU and kept
        the forward out of CUDA graphs) and the pads are zeroed."""
        out, _ = self.gru(self.embedding(ids))
        out = torch.tanh(self.norm(out))
        return out * mask.unsqueeze(-1).to(out.dtype), mask

    def _adopt_vocab(self, words: List[str], state_dict: dict,
                     prefix: str) -> None:
        if len(words) != self.embedding.num_embeddings:
            print_log(
                f'{prefix}: the checkpoint vocabulary ({len(words)} words) '
                f'replaces the configured one '
                f'({self.embedding.num_embeddings})',
                logger='current')
            self.embedding = nn.Embedding(
                len(words), self.embed_dims,
                padding_idx=WordVocabulary.pad_id).to(
                    self.embedding.weight.device)
            if self.freeze_embedding:
                self.embedding.weight.requires_grad_(False)
        self.vocab = WordVocabulary(words)
