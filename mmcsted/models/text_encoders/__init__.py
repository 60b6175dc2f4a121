from mmcsted.text import QueryTooShortError
from .glove_gru_text_encoder import (GloVeGRUTextEncoder, load_glove_vectors,
                                     release_tokenize)
from .gru_text_encoder import GRUTextEncoder, tokenize_queries
from .hf_text_encoder import HFTextEncoder

__all__ = [
    'GRUTextEncoder', 'GloVeGRUTextEncoder', 'HFTextEncoder',
    'QueryTooShortError', 'tokenize_queries', 'release_tokenize',
    'load_glove_vectors'
]
