"""Which frames make the clip around a target frame."""
from typing import List, Tuple


def clip_around_frame(target: int,
                      num_frames: int,
                      clip_len: int = 8,
                      frame_interval: int = 1) -> Tuple[List[int], int, bool]:
    """1-based frame numbers of the ``clip_len``-frame clip around ``target``.

    Frame ``i`` of the clip is
    ``target + (i - clip_len // 2) * frame_interval`` clamped to
    ``[1, num_frames]``, so the target frame sits at index ``clip_len // 2``
    (the release's test clip: ``f - 8, f - 6, ..., f + 6`` for
    ``clip_len=8, frame_interval=2``). Near a video's ends the clamped frames
    repeat the first/last frame.

    Returns:
        (frame numbers, target index, whether any frame was clamped)
    """
    if clip_len < 1 or frame_interval < 1:
        raise ValueError(f'clip_len ({clip_len}) and frame_interval '
                         f'({frame_interval}) must be >= 1')
    if num_frames < 1:
        raise ValueError(f'a video needs at least one frame, got {num_frames}')
    if not 1 <= target <= num_frames:
        raise ValueError(f'target frame {target} outside 1..{num_frames}')
    centre = clip_len // 2
    raw = [target + (i - centre) * frame_interval for i in range(clip_len)]
    frames = [min(max(f, 1), num_frames) for f in raw]
    return frames, centre, frames != raw


#: clip-sampling modes of :class:`SampleClipAroundFrame` and the inference API
CLIP_MODES = ('centred', 'release')


def release_clip(target: int,
                 num_frames: int,
                 clip_len: int = 8,
                 frame_interval: int = 2) -> Tuple[List[int], int, bool]:
    """1-based frame numbers of the authors' released test clip.

    The release (``datasets/a2d_dataset.py``) reads the frames
    ``start, start + interval, ...`` (``clip_len`` of them) from
    ``start = max(1, target - (clip_len // 2) * frame_interval)``: for its
    ``clip_len=8, frame_interval=2`` that is ``start = max(1, f - 8)`` and
    ``start, start + 2, ..., start + 14``. The spatial encoder takes clip
    index ``clip_len // 2`` (4), i.e. frame ``start + 8``: the target ``f``
    when ``f > 8``, frame 9 otherwise (the clip is *shifted* at the start of
    a video, not clamped, so for ``f <= 8`` the model segments frame 9 and
    the release scores it against the mask of frame ``f``).

    Past the video's end the release would fail on a missing JPEG; here
    those frames are clamped to the last frame (repeated), and the third
    value says so (the transform counts and logs it).

    Returns:
        (frame numbers, index of the spatial frame in the clip, whether a
        frame past the end was clamped)
    """
    if clip_len < 1 or frame_interval < 1:
        raise ValueError(f'clip_len ({clip_len}) and frame_interval '
                         f'({frame_interval}) must be >= 1')
    if num_frames < 1:
        raise ValueError(f'a video needs at least one frame, got {num_frames}')
    if not 1 <= target <= num_frames:
        raise ValueError(f'target frame {target} outside 1..{num_frames}')
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
    :func:`release_clip` (``mode='release'``)."""
    if mode == 'centred':
        return clip_around_frame(target, num_frames, clip_len, frame_interval)
    if mode == 'release':
        return release_clip(target, num_frames, clip_len, frame_interval)
    raise ValueError(f'clip mode must be one of {CLIP_MODES}, got {mode!r}')
