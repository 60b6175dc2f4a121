from .cmam import CMAM, masked_word_softmax
from .coord_feature import COORD_CHANNELS, coord_feature
from .feature_fusion import LGFS, SimpleFusion

__all__ = [
    'CMAM', 'LGFS', 'SimpleFusion', 'coord_feature', 'COORD_CHANNELS',
    'masked_word_softmax'
]
