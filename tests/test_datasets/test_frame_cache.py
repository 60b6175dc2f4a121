"""VideoInit(cache_frames=True): each video decoded once per process, the
same clips as without the cache, a cache that in-place transforms cannot
change, and the usual errors for a missing video."""
import pytest

from mmcsted.datasets.transforms import (DataLoadError, SampleClipAroundFrame,
                                         VideoDecode, VideoInit, loading)
from tests.helpers import write_mp4


def _clip(init, video_path, frame_id, test_mode=True):
    results = dict(
        video_path=video_path,
        frame_id=frame_id,
        video_id='v',
        sample_idx=0,
        test_mode=test_mode)
    for transform in (init, SampleClipAroundFrame(clip_len=4), VideoDecode()):
        results = transform(results)
        if results is None:
            return None
    return results['imgs']


def test_cached_clips_equal_decoded_ones_and_decode_once(
        tmp_path, monkeypatch):
    video = str(tmp_path / 'v.mp4')
    write_mp4(video, num_frames=12)
    plain = VideoInit()
    cached = VideoInit(cache_frames=True)
    opened = []
    open_video_file = loading.open_video_file

    def counting_open(path, *args, **kwargs):
        opened.append(path)
        return open_video_file(path, *args, **kwargs)

    monkeypatch.setattr(loading, 'open_video_file', counting_open)
    for frame_id in (1, 6, 12):
        want = _clip(plain, video, frame_id)
        got = _clip(cached, video, frame_id)
        assert len(got) == len(want) == 4
        for a, b in zip(got, want):
            assert (a == b).all()
    # 3 clips without the cache, 1 decoding of the whole video with it
    assert len(opened) == 4
    assert 'cache_frames=True' in repr(cached)


def test_writing_into_a_cached_clip_leaves_the_cache_unchanged(tmp_path):
    video = str(tmp_path / 'v.mp4')
    write_mp4(video, num_frames=8)
    cached = VideoInit(cache_frames=True)
    first = _clip(cached, video, 4)
    before = [img.copy() for img in first]
    for img in first:
        img[:] = 255  # e.g. an augmentation working in place
    again = _clip(cached, video, 4)
    for a, b in zip(again, before):
        assert (a == b).all()


def test_a_missing_video_fails_as_without_the_cache(tmp_path):
    missing = str(tmp_path / 'missing.mp4')
    cached = VideoInit(cache_frames=True)
    with pytest.raises(DataLoadError, match='video file missing'):
        _clip(cached, missing, 1)
    # training skips it, counted
    assert _clip(cached, missing, 1, test_mode=False) is None
    assert cached.num_skipped == 1
