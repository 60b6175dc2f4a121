from .inception_i3d import InceptionI3D
from .language_guided_encoder import LanguageGuidedEncoder
from .pretrained import CheckedPretrainedInit, load_pretrained_weights
from .s3d import TorchvisionS3D
from .staged_backbone import NUM_STAGES, StagedBackbone, default_stage_modules

__all__ = [
    'StagedBackbone', 'LanguageGuidedEncoder', 'default_stage_modules',
    'load_pretrained_weights', 'TorchvisionS3D', 'InceptionI3D',
    'CheckedPretrainedInit', 'NUM_STAGES'
]
