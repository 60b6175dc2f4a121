from .glove_gru_text_encoder import (GloVeGRUTextEncoder, load_glove_vectors,
                                     release_tokenize)
from .gru_text_encoder import (GRUTextEncoder, QueryTooShortError,
                               tokenize_queries)
from .hf_text_encoder import HFTextEncoder
from .vocabulary import WordVocabulary, split_words

__all__ = [
    'GRUTextEncoder', 'GloVeGRUTextEncoder', 'HFTextEncoder', 'WordVocabulary',
    'split_words', 'QueryTooShortError', 'tokenize_queries',
    'release_tokenize', 'load_glove_vectors'
]
