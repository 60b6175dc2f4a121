from .gru_text_encoder import (GRUTextEncoder, QueryTooShortError,
                               tokenize_queries)
from .hf_text_encoder import HFTextEncoder
from .vocabulary import WordVocabulary, split_words

__all__ = [
    'GRUTextEncoder', 'HFTextEncoder', 'WordVocabulary', 'split_words',
    'QueryTooShortError', 'tokenize_queries'
]
