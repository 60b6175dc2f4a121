from .formatting import PackActorSegInputs
from .loading import (DataLoadError, LoadActorMask, SampleClipAroundFrame,
                      VideoDecode, VideoInit)
from .processing import (ClipColorJitter, RandomFlipWithQuery,
                         ResizePadSquare, swap_words)

__all__ = [
    'VideoInit', 'SampleClipAroundFrame', 'VideoDecode', 'LoadActorMask',
    'DataLoadError', 'ResizePadSquare', 'RandomFlipWithQuery',
    'ClipColorJitter', 'swap_words', 'PackActorSegInputs'
]
