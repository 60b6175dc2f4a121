import io
import logging
import os.path as osp
import zipfile
from collections import Counter
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule

from mmcsted.registry import MODELS
from mmcsted.text import WordVocabulary, check_has_words, split_words


def tokenize_queries(texts: Sequence[str], max_words: int,
                     warn_state: dict) -> List[List[str]]:
    """Split queries into words, refusing empty ones and truncating long ones
    (each truncation is counted in ``warn_state['truncated']`` and logged)."""
    if isinstance(texts, str):
        texts = [texts]
    words = []
    for text in texts:
        w = split_words(check_has_words(text))
        if len(w) > max_words:
            warn_state['truncated'] = warn_state.get('truncated', 0) + 1
            print_log(
                f'query longer than {max_words} words is cut to its first '
                f'{max_words} ({warn_state["truncated"]} so far): {text!r}',
                logger='current',
                level=logging.WARNING)
            w = w[:max_words]
        words.append(w)
    return words


def read_glove(path: str, vocab: WordVocabulary) -> Tuple[dict, int]:
    """Vectors of the vocabulary's words from a GloVe text file or a zip
    holding one (``glove.840B.300d.zip``). Returns ({word: vector}, dim)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.endswith('.txt')]
            if not names:
                raise ValueError(f'{path}: no .txt file inside the zip')
            with zf.open(names[0]) as raw:
                return _parse_glove(
                    io.TextIOWrapper(raw, encoding='utf-8', errors='replace'),
                    vocab, path)
    with open(path, encoding='utf-8', errors='replace') as f:
        return _parse_glove(f, vocab, path)


def _parse_glove(lines, vocab: WordVocabulary, path: str):
    vectors, dim = {}, None
    for line_no, line in enumerate(lines, 1):
        # GloVe 840B has tokens with spaces; the vector is the last `dim`
        # items.
        parts = line.rstrip().split(' ')
        if dim is None:
            dim = len(parts) - 1
        if len(parts) < dim + 1:
            raise ValueError(f'{path}:{line_no}: expected a word and {dim} '
                             f'numbers, got {len(parts)} fields')
        word = ' '.join(parts[:-dim])
        if word in vocab.index and word not in vectors:
            vectors[word] = torch.tensor([float(x) for x in parts[-dim:]])
    return vectors, dim


@MODELS.register_module()
class GRUTextEncoder(BaseModule):
    """Word embeddings -> GRU -> LayerNorm -> tanh.

    The paper's text encoder, one per visual encoder; the LayerNorm + tanh and
    the widths (300 -> 512) come from the authors' CSTM code. It is NOT the
    CSTM's text path: there the GloVe vectors are fixed inputs (no trainable
    embedding; unknown words are zero vectors), one bias-free GRU is shared by
    both encoders. Here the embedding is a trainable table (optionally
    GloVe-initialised, ``freeze_embedding`` to fix it) and the GRU has biases.
    CSTM's text path is :class:`GloVeGRUTextEncoder` (shared by both
    encoders with ``CSTED(text_encoder=...)``).

    The vocabulary is part of the module state (buffer ``vocab_buffer``), so a
    checkpoint carries the words it was trained with; loading a checkpoint
    whose vocabulary differs from the config's resizes the embedding to it.

    Args:
        vocab (list[str], optional) / vocab_file (str, optional): the words
            (a JSON list, built from the training queries by the data tools).
        embed_dims (int): 300 as GloVe.
        hidden_dims (int): 512 as in CSTM.
        max_words (int): queries are cut to this many words (20 in the paper).
        glove_file (str, optional): local GloVe .txt or .zip to initialise the
            embedding; the coverage is logged.
        freeze_embedding (bool): keep the word vectors fixed.
        vocab_from_checkpoint (bool): build without a vocabulary; a checkpoint
            loaded later provides it (test-only configs such as J-HMDB, whose
            words are the A2D training vocabulary). Tokenising before that is
            an error.
    """

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
        super().__init__(init_cfg=init_cfg)
        self.awaits_vocab = vocab is None and vocab_file is None
        if self.awaits_vocab and not vocab_from_checkpoint:
            raise ValueError('GRUTextEncoder needs `vocab` or `vocab_file` '
                             '(or vocab_from_checkpoint=True for test-only '
                             'configs)')
        if self.awaits_vocab:
            self.vocab = WordVocabulary([])
        elif vocab is None:
            if not osp.isfile(vocab_file):
                raise FileNotFoundError(
                    f'vocabulary file {vocab_file} not found: build it with '
                    'the dataset preparation tool (tools/data/...) or the '
                    'synthetic generator')
            self.vocab = WordVocabulary.load(vocab_file)
        else:
            self.vocab = WordVocabulary(vocab)
        self.embed_dims = embed_dims
        self.out_channels = hidden_dims
        self.max_words = max_words
        self.glove_file = glove_file
        self.freeze_embedding = freeze_embedding
        self.embedding = nn.Embedding(
            len(self.vocab), embed_dims, padding_idx=WordVocabulary.pad_id)
        self.gru = nn.GRU(embed_dims, hidden_dims, batch_first=True)
        self.norm = nn.LayerNorm(hidden_dims)
        self.unknown_words = Counter()
        self._warn_state = {}
        self._sync_vocab_buffer()
        if freeze_embedding:
            self.embedding.weight.requires_grad_(False)

    def init_weights(self) -> None:
        super().init_weights()
        if self.glove_file:
            vectors, dim = read_glove(self.glove_file, self.vocab)
            if dim != self.embed_dims:
                raise ValueError(f'{self.glove_file} has {dim}-d vectors, the '
                                 f'encoder {self.embed_dims}-d')
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
        if self.awaits_vocab:
            raise RuntimeError(
                'this text encoder was built without a vocabulary '
                '(vocab_from_checkpoint=True) and no checkpoint has provided '
                'one: load the trained checkpoint first')
        words = tokenize_queries(texts, self.max_words, self._warn_state)
        length = max(len(w) for w in words)
        ids = torch.full((len(words), length),
                         WordVocabulary.pad_id,
                         dtype=torch.long)
        for i, w in enumerate(words):
            for word in w:
                if word not in self.vocab:
                    if word not in self.unknown_words:
                        print_log(
                            f'unknown word {word!r} read as <unk>',
                            logger='current',
                            level=logging.WARNING)
                    self.unknown_words[word] += 1
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

    # The vocabulary travels with the weights, as a uint8 buffer of the
    # UTF-8 words joined by newlines: a tensor, so that checkpoints stay
    # tensors-only (weights_only loading, tracing, DDP broadcasts).
    @staticmethod
    def _encode_vocab(words) -> torch.Tensor:
        return torch.tensor(
            list('\n'.join(words).encode('utf-8')), dtype=torch.uint8)

    @staticmethod
    def _decode_vocab(buffer: torch.Tensor):
        return bytes(buffer.tolist()).decode('utf-8').split('\n')

    def _sync_vocab_buffer(self) -> None:
        self.register_buffer('vocab_buffer',
                             self._encode_vocab(self.vocab.words))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        key = prefix + 'vocab_buffer'
        emb_key = prefix + 'embedding.weight'
        if key in state_dict:
            words = self._decode_vocab(state_dict[key])
            if emb_key in state_dict and \
                    len(words) != state_dict[emb_key].shape[0]:
                raise ValueError(
                    f'{prefix}: checkpoint vocabulary has {len(words)} words '
                    f'but its embedding {state_dict[emb_key].shape[0]} rows')
            if len(words) != self.embedding.num_embeddings:
                print_log(
                    f'{prefix}: the checkpoint vocabulary ({len(words)} words)'
                    f' replaces the configured one '
                    f'({self.embedding.num_embeddings})',
                    logger='current')
                self.embedding = nn.Embedding(
                    len(words),
                    self.embed_dims,
                    padding_idx=WordVocabulary.pad_id).to(
                        self.embedding.weight.device)
                if self.freeze_embedding:
                    self.embedding.weight.requires_grad_(False)
            self.vocab = WordVocabulary(words)
            self.awaits_vocab = False
            self.vocab_buffer = state_dict[key].clone().to(
                self.vocab_buffer.device)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
