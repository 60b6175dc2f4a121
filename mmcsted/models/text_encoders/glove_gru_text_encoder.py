"""The text path of the authors' CSTM (RyanHTR/CSTM), exactly.

CSTM (``datasets/word_utils.py`` ``Corpus.tokenize`` and
``models/cstm_model.py``):

* tokens: ``re.split(r'(\\W+)', query.strip())`` with the separators KEPT as
  tokens, lower-cased, dropping ``''`` and ``' '`` (exactly those: ``', '`` or
  ``'  '`` stay); no token at all -> ``['']``; a final ``'.'`` is dropped; cut
  to 20, or padded to 20 with the pad token ``''``; always 20 positions.
* word vectors: torchtext ``GloVe(name='840B', dim=300)`` of each of the 20
  tokens, used as fixed inputs (no trainable embedding); a token GloVe does not
  have (and the pad ``''``) is a zero vector.
* ``nn.GRU(300, 512, bias=False, batch_first=True)`` over all 20 positions (no
  packing: the pads' zero vectors go through the GRU), then ``LayerNorm(512)``
  and ``tanh``. The same word features go to both encoders (one GRU, see
  ``CSTED(text_encoder=...)``).
* the mask ``phrase_mask`` (1 for the tokens before padding) is computed but
  never used by the model: CMAM's word softmax runs over all 20 positions.

Here the GloVe vectors of a vocabulary (the words the model may meet) are
buffers of the module, so a checkpoint carries them (tensors only):
``vocab_buffer`` (uint8, UTF-8 words each followed by a newline) and
``word_vectors`` (V, 300). A token outside the vocabulary is a zero vector, as
a token outside GloVe is for torchtext; such tokens are counted in
``unknown_words`` and the first sighting of each is logged. Build the
vocabulary from every query the model will read (tokenised with
:func:`cstm_tokenize`) and GloVe (:func:`load_glove_vectors` mirrors
torchtext: last occurrence of a repeated word wins); the converter of the
CSTM checkpoint writes it.

State-dict keys (relative to the module; ``text_encoder.`` inside a CSTED) and
CSTM's::

    gru.weight_ih_l0, gru.weight_hh_l0  <- txt_encoder.weight_ih_l0,
                                           txt_encoder.weight_hh_l0
    norm.weight, norm.bias              <- txt_norm.0.weight, txt_norm.0.bias
    vocab_buffer, word_vectors          (GloVe, written by the converter)

The mask returned with the word features is CSTM's ``phrase_mask`` (real
tokens): the CSTM-style CMAM ignores it (every position takes part), while
sentence averages elsewhere in the model (e.g. LGFS) use it.
"""
import logging
import re
import zipfile
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.logging import print_log

from mmcsted.registry import MODELS
from .base_word_text_encoder import (BaseWordTextEncoder, count_truncation,
                                     log_once_per_query, shortened)

#: CSTM's ``SENTENCE_SPLIT_REGEX`` (separators kept by the group)
CSTM_SPLIT = re.compile(r'(\W+)')
#: CSTM's ``PAD_TOKEN``
CSTM_PAD = ''
#: a GloVe file with vectors for fewer of the vocabulary's words than this
#: share is probably the wrong file (the 840B vectors cover about 99 % of the
#: A2D Sentences words): :func:`load_glove_vectors` warns, with the figure
GLOVE_MIN_COVERAGE = 0.5


def cstm_tokenize(text: str,
                  max_words: int = 20) -> Tuple[List[str], List[int]]:
    """CSTM's ``Corpus.tokenize`` on one query: (tokens, mask).

    ``max_words > 0``: exactly ``max_words`` tokens (cut, or padded with
    ``''``), and the mask (1 for the tokens before padding).
    ``max_words <= 0``: no cut and no padding, as in CSTM.
    """
    if not isinstance(text, str):
        raise TypeError(f'a query must be a string, got {type(text).__name__}')
    words = CSTM_SPLIT.split(text.strip())
    words = [w.lower() for w in words if len(w) > 0 and w != ' ']
    if len(words) == 0:
        words = ['']
    mask = [1] * len(words)
    if words[-1] == '.':
        words = words[:-1]
        mask = mask[:-1]
    if max_words > 0:
        if len(words) > max_words:
            words = words[:max_words]
            mask = mask[:max_words]
        elif len(words) < max_words:
            words += [CSTM_PAD] * (max_words - len(words))
            mask += [0] * (max_words - len(mask))
    return words, mask


def load_glove_vectors(
        path: str,
        words: Sequence[str],
        dim: Optional[int] = None) -> Tuple[Dict[str, torch.Tensor], int]:
    """GloVe vectors of ``words`` as torchtext's ``Vectors`` would give them:
    the one GloVe reader of both GRU text encoders and the CSTM converter.

    ``path``: a GloVe text file, a zip holding one (``glove.840B.300d.zip``),
    or torchtext's cache ``glove.840B.300d.txt.pt`` (a tuple ``(itos, stoi,
    vectors, dim)``). Text files are parsed like torchtext: each line split on
    ``' '``, the first field is the token, lines with a 1-d vector skipped
    (headers), a repeated token keeps its LAST vector (torchtext's ``stoi``).
    A line with more fields whose extra leading ones are not numbers holds a
    token with spaces (840B has a few, e.g. ``'. . .'``): its vector is the
    last fields. Returns ({word: vector} for the words found, dim).

    A vector read for one of ``words`` that holds NaN or inf is an error
    naming the file and the line (the cache: the word), and so are vectors of
    another width than ``dim`` (when given); a file with vectors for less than
    :data:`GLOVE_MIN_COVERAGE` of ``words`` is a warning.
    """
    wanted = set(words)
    if path.endswith('.pt'):
        found, file_dim = _read_torchtext_cache(path, wanted)
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.endswith('.txt')]
            if not names:
                raise ValueError(f'{path}: no .txt file inside the zip')
            with zf.open(names[0]) as raw:
                found, file_dim = _parse_glove_text(raw, wanted, path)
    else:
        with open(path, 'rb') as raw:
            found, file_dim = _parse_glove_text(raw, wanted, path)
    if dim is not None and found and file_dim != dim:
        raise ValueError(f'{path} has {file_dim}-d vectors, the encoder '
                         f'{dim}-d')
    if wanted and len(found) < GLOVE_MIN_COVERAGE * len(wanted):
        print_log(
            f'GloVe {path} has vectors for only {len(found):,} of the '
            f'{len(wanted):,} vocabulary words '
            f'({100. * len(found) / len(wanted):.1f} %, below '
            f'{100 * GLOVE_MIN_COVERAGE:.0f} %): the others read as zero '
            'vectors; is it the right file (GloVe 840B, 300-d)?',
            logger='current',
            level=logging.WARNING)
    return found, file_dim


def _read_torchtext_cache(path: str, wanted: set):
    # (itos list, stoi dict, vectors tensor, dim int), all allowed by the
    # safe loader
    itos, stoi, vectors, dim = torch.load(path, weights_only=True)
    found = {w: vectors[stoi[w]].clone() for w in wanted if w in stoi}
    for word, vector in found.items():
        if not torch.isfinite(vector).all():
            raise ValueError(f'{path}: the vector of {word!r} (row '
                             f'{stoi[word]}) holds NaN or inf')
    return found, int(dim)


def _is_number(field: bytes) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def _parse_glove_text(lines, wanted, path):
    out, dim = {}, None
    for line_no, line in enumerate(lines, 1):
        entries = line.rstrip().split(b' ')
        word, entries = entries[0], entries[1:]
        if dim is None and len(entries) > 1:
            dim = len(entries)
        elif len(entries) == 1:
            continue  # torchtext: "likely a header"
        elif dim is not None and len(entries) > dim and not _is_number(
                entries[-dim - 1]):
            word = b' '.join([word, *entries[:-dim]])
            entries = entries[-dim:]
        elif dim != len(entries):
            raise ValueError(f'{path}:{line_no}: a {len(entries)}-d vector, '
                             f'previous ones are {dim}-d')
        try:
            word = word.decode('utf-8')
        except UnicodeDecodeError:
            continue  # torchtext skips non-UTF-8 tokens
        if word in wanted:
            try:
                out[word] = torch.tensor([float(x) for x in entries])
            except ValueError:
                raise ValueError(
                    f'{path}:{line_no}: the vector of {word!r} holds a value '
                    'that is not a number') from None
            if not torch.isfinite(out[word]).all():
                raise ValueError(f'{path}:{line_no}: the vector of {word!r} '
                                 'holds NaN or inf')
    return out, dim or 0


@MODELS.register_module()
class GloVeGRUTextEncoder(BaseWordTextEncoder):
    """Fixed GloVe vectors -> bias-free GRU over all positions -> LayerNorm ->
    tanh: CSTM's text path (module docstring).

    A class of its own rather than options of :class:`GRUTextEncoder`: its
    tokeniser, its fixed-length input, its frozen vectors (buffers, not an
    embedding table), its bias-free unpacked GRU and its mask semantics all
    differ, and so do its state-dict keys.

    Args:
        vocab (list[str], optional) / vocab_file (str, optional): the tokens
            to hold vectors for (a JSON list); needs ``glove_file``, read by
            :meth:`init_weights` (tokens GloVe does not have are dropped).
        glove_file (str, optional): see :func:`load_glove_vectors`.
        embed_dims (int): 300 (GloVe 840B).
        hidden_dims (int): 512 (CSTM's ``dim_semantic``).
        max_words (int): 20 positions, always.
        vocab_from_checkpoint (bool): build with an empty vocabulary; the
            loaded checkpoint (the converted CSTM checkpoint) provides the
            tokens and their vectors. Tokenising before that is an error.
    """

    word_tensors = ('word_vectors', )

    def __init__(self,
                 vocab: Optional[Sequence[str]] = None,
                 vocab_file: Optional[str] = None,
                 glove_file: Optional[str] = None,
                 embed_dims: int = 300,
                 hidden_dims: int = 512,
                 max_words: int = 20,
                 vocab_from_checkpoint: bool = False,
                 init_cfg=None):
        super().__init__(vocab, vocab_file, vocab_from_checkpoint, max_words,
                         init_cfg)
        if not self.awaits_vocab and glove_file is None:
            raise ValueError('a GloVeGRUTextEncoder vocabulary needs its '
                             'vectors: give `glove_file`')
        self.embed_dims = embed_dims
        self.out_channels = hidden_dims
        self.glove_file = glove_file
        self.gru = nn.GRU(
            embed_dims, hidden_dims, bias=False, batch_first=True)
        self.norm = nn.LayerNorm(hidden_dims)
        self._set_vocab(self.configured_words,
                        torch.zeros(len(self.configured_words), embed_dims))

    # ------------------------------------------------------------ vocabulary
    def set_vocabulary(self, words: Sequence[str],
                       vectors: torch.Tensor) -> None:
        """Replace the tokens and their (V, embed_dims) vectors, e.g. a
        placeholder for cost measurements before any checkpoint is loaded."""
        self._set_vocab(list(words), vectors)
        self.awaits_vocab = False

    def _set_vocab(self, words: List[str], vectors: torch.Tensor) -> None:
        if len(set(words)) != len(words):
            raise ValueError('the vocabulary has repeated words')
        if vectors.shape != (len(words), self.embed_dims):
            raise ValueError(f'{len(words)} words need vectors of shape '
                             f'({len(words)}, {self.embed_dims}), got '
                             f'{tuple(vectors.shape)}')
        device = self.gru.weight_ih_l0.device
        self.vocab_words = list(words)
        self.index = {w: i for i, w in enumerate(words)}
        # words stored with an all-zero vector (e.g. a converter that keeps
        # words GloVe lacks) are reported like words outside the vocabulary
        self.zero_rows = {
            w
            for w, zero in zip(words, (vectors == 0).all(1).tolist()) if zero
        } if len(words) else set()
        self._store_vocab(words, device)
        self.register_buffer('word_vectors', vectors.float().to(device))

    def _adopt_vocab(self, words: List[str], state_dict: dict,
                     prefix: str) -> None:
        self._set_vocab(words,
                        state_dict[prefix + 'word_vectors'].detach().clone())

    @property
    def vocab(self) -> Dict[str, int]:
        """Token -> row of ``word_vectors`` (``in`` works on it)."""
        return self.index

    def init_weights(self) -> None:
        super().init_weights()
        if self.glove_file and self.vocab_words:
            vectors, _ = load_glove_vectors(self.glove_file, self.vocab_words,
                                            self.embed_dims)
            kept = [w for w in self.vocab_words if w in vectors]
            print_log(
                f'GloVe {self.glove_file}: {len(kept)} of '
                f'{len(self.vocab_words)} vocabulary tokens have a vector '
                '(the others read as zero vectors)',
                logger='current')
            self._set_vocab(
                kept,
                torch.stack([vectors[w] for w in kept])
                if kept else torch.zeros(0, self.embed_dims))

    # ---------------------------------------------------------------- tokens
    def cstm_tokens(self, text: str) -> Tuple[List[str], List[int]]:
        """CSTM's tokens (``max_words`` of them) and mask."""
        return cstm_tokenize(text, self.max_words)

    def token_strings(self, text: str) -> List[str]:
        """The ``max_words`` tokens as read, for display: pads as
        ``<pad>``, tokens without a vector marked ``(unk)``."""
        words, _ = self.cstm_tokens(text)
        return [
            '<pad>' if w == CSTM_PAD else
            (w
             if w in self.index and w not in self.zero_rows else f'{w} (unk)')
            for w in words
        ]

    def tokenize(self,
                 texts: Sequence[str],
                 device=None) -> Tuple[torch.Tensor, torch.Tensor]:
        """Vector rows (N, max_words), -1 for a zero vector (a token without
        a vector, or a pad not in the vocabulary), and CSTM's mask of
        the real tokens (N, max_words)."""
        self._check_has_vocab()
        if isinstance(texts, str):
            texts = [texts]
        n, length = len(texts), self.max_words
        ids = torch.full((n, length), -1, dtype=torch.long)
        mask = torch.zeros((n, length), dtype=torch.bool)
        for i, text in enumerate(texts):
            words, real = self.cstm_tokens(text)
            self._check_length(text)
            for j, w in enumerate(words):
                if w in self.index:
                    ids[i, j] = self.index[w]
                if w != CSTM_PAD and (w not in self.index
                                      or w in self.zero_rows):
                    self._count_unknown(w, 'a zero vector')
            mask[i, :len(real)] = torch.tensor(real, dtype=torch.bool)
        device = device or self.word_vectors.device
        return ids.to(device), mask.to(device)

    def _check_length(self, text: str) -> None:
        words = CSTM_SPLIT.split(text.strip())
        words = [w for w in words if len(w) > 0 and w != ' ']
        if words and words[-1] == '.':
            words = words[:-1]
        if not words:
            log_once_per_query(
                self._warn_state, 'no_token', text,
                f'query {shortened(text)} has no token: it reads as pads '
                'only (as in CSTM; logged once per query)')
        elif len(words) > self.max_words:
            count_truncation(self._warn_state, text, len(words),
                             self.max_words)

    # --------------------------------------------------------------- forward
    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """GloVe vectors (N, L, embed_dims); rows < 0 are zero vectors."""
        known = ids >= 0
        vectors = self.word_vectors[ids.clamp(
            min=0)] if len(self.vocab_words) else self.word_vectors.new_zeros(
                *ids.shape, self.embed_dims)
        return torch.where(known.unsqueeze(-1), vectors, vectors.new_zeros(()))

    def forward(self, ids: torch.Tensor,
                mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Word features (N, L, hidden_dims) at every position (pads
        included, not zeroed) and the mask of the real tokens (N, L)."""
        out, _ = self.gru(self.embed(ids))
        return torch.tanh(self.norm(out)), mask
