from mmcsted.text import QueryTooShortError
from .base_word_text_encoder import BaseWordTextEncoder, tokenize_queries
from .glove_gru_text_encoder import (GloVeGRUTextEncoder, cstm_tokenize,
                                     load_glove_vectors)
from .gru_text_encoder import GRUTextEncoder

__all__ = [
    'BaseWordTextEncoder', 'GRUTextEncoder', 'GloVeGRUTextEncoder',
    'QueryTooShortError', 'tokenize_queries', 'cstm_tokenize',
    'load_glove_vectors'
]
