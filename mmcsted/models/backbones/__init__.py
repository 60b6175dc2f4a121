from .language_guided_encoder import LanguageGuidedEncoder
from .pretrained import load_pretrained_weights
from .staged_backbone import StagedBackbone, default_stage_modules

__all__ = [
    'StagedBackbone', 'LanguageGuidedEncoder', 'default_stage_modules',
    'load_pretrained_weights'
]
