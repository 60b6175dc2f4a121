from mmcsted.text import QueryTooShortError
from .glove_gru_text_encoder import (GloVeGRUTextEncoder, cstm_tokenize,
                                     load_glove_vectors)
from .gru_text_encoder import GRUTextEncoder, tokenize_queries
from .hf_text_encoder import HFTextEncoder

__all__ = [
    'GRUTextEncoder', 'GloVeGRUTextEncoder', 'HFTextEncoder',
    'QueryTooShortError', 'tokenize_queries', 'cstm_tokenize',
    'load_glove_vectors'
]
