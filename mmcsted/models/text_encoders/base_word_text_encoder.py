"""What the word-level text encoders share: the vocabulary kept in the state
dict, the counts of unknown words and of cut queries."""
import logging
import os.path as osp
from collections import Counter
from typing import List, Optional, Sequence

import mmengine
import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule

from mmcsted.text import check_has_words, split_words


def shortened(text: str, limit: int = 120) -> str:
    """``text`` quoted, cut to ``limit`` characters for a log line."""
    return repr(text if len(text) <= limit else text[:limit] + '...')


def log_once_per_query(warn_state: dict, kind: str, text: str,
                       message: str) -> None:
    """Log ``message`` the first time ``text`` is seen for ``kind`` (a
    video's clips all carry its query: one line, not one per clip); every
    call is counted in ``warn_state[kind]``."""
    warn_state[kind] = warn_state.get(kind, 0) + 1
    seen = warn_state.setdefault(f'{kind}_queries', set())
    if text not in seen:
        seen.add(text)
        print_log(message, logger='current', level=logging.WARNING)


def count_truncation(warn_state: dict, text: str, num_words: int,
                     max_words: int) -> None:
    """Count (``warn_state['truncated']``) a query cut to ``max_words`` of
    its ``num_words`` words; log each distinct query once."""
    log_once_per_query(
        warn_state, 'truncated', text,
        f'query of {num_words} words cut to its first {max_words} words: '
        f'{shortened(text)} (logged once per query; the count is '
        'the text encoder\'s `truncated_queries`)')


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
            count_truncation(warn_state, text, len(w), max_words)
            w = w[:max_words]
        words.append(w)
    return words


class BaseWordTextEncoder(BaseModule):
    """A text encoder that maps the words of a vocabulary, which travels with
    its weights.

    The words are the buffer ``vocab_buffer``: uint8, the UTF-8 words each
    followed by a newline; a tensor, so that checkpoints stay tensors-only
    (weights_only loading, tracing, DDP broadcasts). Loading a state dict that
    holds it replaces the configured words (:meth:`_adopt_vocab`), after
    checking that the tensors with one row per word (:attr:`word_tensors`)
    came with it and have as many rows.

    Args:
        vocab (list[str], optional) / vocab_file (str, optional): the words
            (a JSON list).
        vocab_from_checkpoint (bool): build without words; a checkpoint loaded
            later provides them. Tokenising before that is an error.
        max_words (int): queries are cut to this many words.
    """

    #: state-dict tensors (relative to the module) with a row per word
    word_tensors: Sequence[str] = ()

    def __init__(self,
                 vocab: Optional[Sequence[str]],
                 vocab_file: Optional[str],
                 vocab_from_checkpoint: bool,
                 max_words: int,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if max_words < 1:
            raise ValueError('max_words must be >= 1')
        self.awaits_vocab = vocab is None and vocab_file is None
        if self.awaits_vocab and not vocab_from_checkpoint:
            raise ValueError(
                f'{type(self).__name__} needs `vocab` or `vocab_file`, or '
                'vocab_from_checkpoint=True (test-only configs: the loaded '
                'checkpoint provides the words)')
        if vocab is None and vocab_file is not None:
            vocab = self._read_vocab_file(vocab_file)
        self.configured_words = list(vocab or [])
        self.max_words = max_words
        self.unknown_words = Counter()
        self._warn_state = {}

    @property
    def truncated_queries(self) -> int:
        """How many queries (one per clip) were cut to ``max_words``."""
        return self._warn_state.get('truncated', 0)

    @staticmethod
    def _read_vocab_file(path: str) -> List[str]:
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'vocabulary file {path} not found: build it with the '
                'dataset preparation tool (tools/data/...) or the synthetic '
                'generator')
        words = mmengine.load(path, file_format='json')
        if not isinstance(words, list) or not all(
                isinstance(w, str) for w in words):
            raise ValueError(f'{path}: a vocabulary file is a JSON list of '
                             'words')
        return words

    @staticmethod
    def encode_vocab(words: Sequence[str]) -> torch.Tensor:
        """The ``vocab_buffer`` of ``words`` (an empty vocabulary is an empty
        buffer)."""
        if any('\n' in w for w in words):
            raise ValueError('a vocabulary word cannot contain a newline')
        return torch.tensor(
            list(''.join(w + '\n' for w in words).encode('utf-8')),
            dtype=torch.uint8)

    @staticmethod
    def decode_vocab(buffer: torch.Tensor) -> List[str]:
        words = bytes(buffer.tolist()).decode('utf-8').split('\n')
        # GRUTextEncoder's checkpoints of the former layout join the words
        # without a final newline: they still load
        return words[:-1] if words[-1] == '' else words

    def _store_vocab(self, words: Sequence[str], device=None) -> None:
        self.register_buffer('vocab_buffer',
                             self.encode_vocab(words).to(device))

    def _adopt_vocab(self, words: List[str], state_dict: dict,
                     prefix: str) -> None:
        """Take ``words`` (and their rows in ``state_dict``) as the
        vocabulary."""
        raise NotImplementedError

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        key = prefix + 'vocab_buffer'
        names = ['vocab_buffer', *self.word_tensors]
        given = [n for n in names if prefix + n in state_dict]
        if given:
            if given != names:
                raise ValueError(f'{prefix}: a checkpoint holds '
                                 f'{" and ".join(names)} together, this one '
                                 f'only {" and ".join(given)}')
            words = self.decode_vocab(state_dict[key])
            for name in self.word_tensors:
                rows = state_dict[prefix + name].shape[0]
                if rows != len(words):
                    raise ValueError(
                        f'{prefix}: checkpoint vocabulary has {len(words)} '
                        f'words but its {name} {rows} rows')
            self._adopt_vocab(words, state_dict, prefix)
            self.awaits_vocab = False
            # the checkpoint's bytes, so that the buffer takes their shape
            self.vocab_buffer = state_dict[key].detach().clone().to(
                self.vocab_buffer.device)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _check_has_vocab(self) -> None:
        if self.awaits_vocab:
            raise RuntimeError(
                'this text encoder was built without a vocabulary '
                '(vocab_from_checkpoint=True) and no checkpoint has provided '
                'one: load the trained checkpoint first')

    def _count_unknown(self, word: str, reads_as: str) -> None:
        """Count a word the vocabulary lacks; log its first sighting."""
        if word not in self.unknown_words:
            print_log(
                f'unknown word {word!r} read as {reads_as}',
                logger='current',
                level=logging.WARNING)
        self.unknown_words[word] += 1
