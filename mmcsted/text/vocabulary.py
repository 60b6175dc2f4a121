"""Word vocabulary of the GRU text encoder.

The vocabulary is built from the training queries (A2D Sentences train split)
and travels inside the model's checkpoint, so that testing and the demo map
words to the same ids as training did.
"""
import json
import re
import unicodedata
from collections import Counter
from typing import Iterable, List, Sequence

PAD_TOKEN = '<pad>'
UNK_TOKEN = '<unk>'

# Words are runs of letters/digits of any script ([^\W_]: Unicode-aware, so
# "naïve" and "café" stay whole), with inner apostrophes or hyphens kept
# ("man's", "t-shirt"); everything else (punctuation, quotes) separates words.
# ASCII queries split exactly as with the former [a-z0-9] pattern, so existing
# vocabularies keep their meaning.
_WORD = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")


def split_words(text: str) -> List[str]:
    """Lower-case a query and split it into words, dropping punctuation.

    The query is NFC-normalised first: an accent typed as a separate combining
    mark ("e" + U+0301) is not a letter to the regex and would cut the word.
    """
    if not isinstance(text, str):
        raise TypeError(f'a query must be a string, got {type(text).__name__}')
    return _WORD.findall(unicodedata.normalize('NFC', text).lower())


class QueryTooShortError(ValueError):
    """A query with no word in it."""


def has_words(query) -> bool:
    """The one rule for an empty query: a query is usable when it holds a
    word. ``""``, whitespace and punctuation only (``'?!... --'``) have
    none; the readers skip (training) or fill (testing) such expressions,
    the checks report them, and the API and the demo refuse them."""
    return isinstance(query, str) and bool(split_words(query))


def check_has_words(query) -> str:
    """Return ``query``; raise :class:`QueryTooShortError` when it has no
    word (a ``TypeError`` when it is not a string)."""
    if not isinstance(query, str):
        raise TypeError(
            f'a query must be a string, got {type(query).__name__}')
    if not has_words(query):
        raise QueryTooShortError(
            f'empty query {query!r}: it has no word in it (no letter or '
            'digit); a query names the actor to segment, e.g. "the '
            'man in red is running"')
    return query


class WordVocabulary:
    """An ordered list of words; index 0 is ``<pad>``, index 1 is ``<unk>``."""

    def __init__(self, words: Sequence[str]):
        words = [w for w in words if w not in (PAD_TOKEN, UNK_TOKEN)]
        if len(set(words)) != len(words):
            raise ValueError('the vocabulary has repeated words')
        self.words = [PAD_TOKEN, UNK_TOKEN] + list(words)
        self.index = {w: i for i, w in enumerate(self.words)}

    pad_id = 0
    unk_id = 1

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def lookup(self, words: Iterable[str]) -> List[int]:
        return [self.index.get(w, self.unk_id) for w in words]

    @classmethod
    def build(cls, queries: Iterable[str], min_freq: int = 1):
        """Vocabulary of the words seen at least ``min_freq`` times, most
        frequent first (ties alphabetical, so the result is deterministic)."""
        counts = Counter(w for q in queries for w in split_words(q))
        kept = sorted((w for w, c in counts.items() if c >= min_freq),
                      key=lambda w: (-counts[w], w))
        return cls(kept)

    def to_json(self) -> str:
        """The words as the JSON list a ``vocab_file`` holds (written by
        the tools that build it, atomically)."""
        return json.dumps(self.words, ensure_ascii=False, indent=0)
