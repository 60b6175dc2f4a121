"""Which frames make the clip around a target frame."""
from typing import List, Tuple

from mmcsted.utils.misc import check_choice


def _check_clip_args(target: int, num_frames: int, clip_len: int,
                     frame_interval: int) -> None:
    if clip_len < 1 or frame_interval < 1:
        raise ValueError(f'clip_len ({clip_len}) and frame_interval '
                         f'({frame_interval}) must be >= 1')
    if num_frames < 1:
        raise ValueError(f'a video needs at least one frame, got {num_frames}')
    if not 1 <= target <= num_frames:
        raise ValueError(f'target frame {target} outside 1..{num_frames}')


def clip_around_frame(target: int,
                      num_frames: int,
                      clip_len: int = 8,
                      frame_interval: int = 1) -> Tuple[List[int], int, bool]:
    """1-based frame numbers of the ``clip_len``-frame clip around ``target``:
    ``target + (i - clip_len // 2) * frame_interval`` clamped to the video.

    Returns:
        (frame numbers, target index ``clip_len // 2``, whether any frame was
        clamped)
    """
    _check_clip_args(target, num_frames, clip_len, frame_interval)
    centre = clip_len // 2
    raw = [target + (i - centre) * frame_interval for i in range(clip_len)]
    frames = [min(max(f, 1), num_frames) for f in raw]
    return frames, centre, frames != raw


def cstm_clip(target: int,
              num_frames: int,
              clip_len: int = 8,
              frame_interval: int = 2) -> Tuple[List[int], int, bool]:
    """1-based frame numbers of the authors' test clip: ``start, start +
    frame_interval, ...`` from ``start = max(1, target - (clip_len // 2) *
    frame_interval)`` (shifted, not clamped, at a video's start; frames past
    the end are clamped here). Details: docs/dataset_prepare.md.

    Returns:
        (frame numbers, index of the spatial frame, whether a frame past the
        end was clamped)
    """
    _check_clip_args(target, num_frames, clip_len, frame_interval)
    centre = clip_len // 2
    start = max(1, target - centre * frame_interval)
    raw = [start + i * frame_interval for i in range(clip_len)]
    frames = [min(f, num_frames) for f in raw]
    return frames, centre, frames != raw


def sample_clip(target: int,
                num_frames: int,
                clip_len: int = 8,
                frame_interval: int = 1,
                mode: str = 'centred') -> Tuple[List[int], int, bool]:
    """:func:`clip_around_frame` (``mode='centred'``) or
    :func:`cstm_clip` (``mode='cstm'``)."""
    check_choice('clip mode', mode, CLIP_MODES)
    return CLIP_SAMPLERS[mode](target, num_frames, clip_len, frame_interval)


#: clip-sampling modes of :class:`SampleClipAroundFrame` and the inference API
CLIP_SAMPLERS = dict(centred=clip_around_frame, cstm=cstm_clip)
CLIP_MODES = tuple(CLIP_SAMPLERS)
