from .actor_crop import ClipToImage, CropAroundActor, SampleActorClip
from .formatting import PackActorSegInputs
from .loading import (DataLoadError, LoadActorMask, SampleClipAroundFrame,
                      VideoDecode, VideoInit)
from .processing import (ClipColorJitter, RandomFlipWithQuery, ResizePadSquare,
                         ResizeStretch, cstm_mask_resize, swap_words)

__all__ = [
    'VideoInit', 'SampleClipAroundFrame', 'VideoDecode', 'LoadActorMask',
    'DataLoadError', 'ResizePadSquare', 'ResizeStretch', 'cstm_mask_resize',
    'RandomFlipWithQuery', 'ClipColorJitter', 'swap_words',
    'PackActorSegInputs', 'SampleActorClip', 'CropAroundActor', 'ClipToImage'
]
