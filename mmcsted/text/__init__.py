"""Query words: the tokeniser and the word vocabulary.

Below both ``datasets`` (which build vocabularies from annotations) and
``models`` (whose text encoders map words to ids), so neither imports the
other for them.
"""
from .vocabulary import (QueryTooShortError, WordVocabulary, check_has_words,
                         has_words, split_words)

__all__ = [
    'QueryTooShortError', 'WordVocabulary', 'check_has_words', 'has_words',
    'split_words'
]
