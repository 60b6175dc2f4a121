from .a2d import A2D_ACTIONS, A2D_ACTORS, A2DSentencesDataset
from .base import MASK_READERS, MISSING_REASON, BaseActorSegDataset
from .clip_sampling import clip_around_frame, cstm_clip, sample_clip
from .jhmdb_sentences import JHMDB_ACTIONS, JHMDBSentencesDataset
from .mevis import MeViSDataset
from .ref_davis import RefDAVIS17Dataset
from .ref_vos_base import BaseRefVOSDataset
from .ref_youtube_vos import RefYouTubeVOSDataset
from .synthetic_pretrain import SyntheticActorDataset
from .transforms import (ClipColorJitter, DataLoadError, LoadActorMask,
                         PackActorSegInputs, RandomFlipWithQuery,
                         ResizePadSquare, ResizeStretch, SampleClipAroundFrame,
                         VideoDecode, VideoInit)

__all__ = [
    'BaseActorSegDataset', 'MASK_READERS', 'MISSING_REASON',
    'A2DSentencesDataset', 'JHMDBSentencesDataset', 'clip_around_frame',
    'cstm_clip', 'sample_clip', 'A2D_ACTORS', 'A2D_ACTIONS', 'JHMDB_ACTIONS',
    'VideoInit', 'SampleClipAroundFrame', 'VideoDecode', 'LoadActorMask',
    'DataLoadError', 'ResizePadSquare', 'ResizeStretch', 'RandomFlipWithQuery',
    'ClipColorJitter', 'PackActorSegInputs', 'SyntheticActorDataset',
    'BaseRefVOSDataset', 'RefYouTubeVOSDataset', 'MeViSDataset',
    'RefDAVIS17Dataset'
]
