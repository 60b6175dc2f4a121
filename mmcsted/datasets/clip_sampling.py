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
