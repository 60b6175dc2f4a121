"""Query words: the tokeniser and the word vocabulary.

Below both ``datasets`` (which build vocabularies from annotations) and
``models`` (whose text encoders map words to ids), so neither imports the
other for them.
"""
from .vocabulary import WordVocabulary, split_words

__all__ = ['WordVocabulary', 'split_words']
