"""Batches prepared ahead in a background thread (``prefetch``): the same
results as without it, errors raised in the caller, the thread stopped when
the caller stops early."""
import threading

import numpy as np
import pytest

from mmcsted.apis import VideoActorSegInferencer
from mmcsted.apis.inference.streaming import prefetched
from mmcsted.utils.video_io import ArrayFrameReader
from tests.helpers import make_frames


def _prefetch_threads():
    return [
        t for t in threading.enumerate()
        if t.name == 'mmcsted-prefetch' and t.is_alive()
    ]


def test_prefetched_keeps_order_and_raises_in_the_caller():
    assert list(prefetched(iter(range(50)), 2)) == list(range(50))
    assert list(prefetched(iter(range(5)), 0)) == list(range(5))

    def broken():
        yield 1
        raise OSError('corrupt frame 2')

    items = prefetched(broken(), 3)
    assert next(items) == 1
    with pytest.raises(OSError, match='corrupt frame 2'):
        next(items)
    assert not _prefetch_threads()


def test_closing_early_stops_the_thread():
    made = []

    def endless():
        i = 0
        while True:
            made.append(i)
            yield i
            i += 1

    items = prefetched(endless(), 2)
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    items.close()
    assert not _prefetch_threads()
    assert len(made) <= 3 + 2 + 1  # depth ahead, one in the making


def test_inference_with_and_without_prefetch_is_the_same(tiny_model):
    frames = make_frames(num_frames=13, height=40, width=56)
    results = []
    for depth in (0, 2):
        inferencer = VideoActorSegInferencer(
            tiny_model, show_progress=False, prefetch=depth)
        results.append(
            inferencer(
                ArrayFrameReader(frames), 'the red square', batch_size=3))
    plain, ahead = results
    assert plain.frame_indices == ahead.frame_indices == list(range(13))
    for a, b in zip(plain.scores, ahead.scores):
        np.testing.assert_array_equal(a, b)
    assert plain.stats == ahead.stats
    assert not _prefetch_threads()


def test_stopping_a_stream_early_stops_the_thread(tiny_model):
    inferencer = VideoActorSegInferencer(tiny_model, show_progress=False)
    stream = inferencer.stream(
        ArrayFrameReader(make_frames(num_frames=30)),
        'the red square',
        batch_size=2)
    first = next(stream)
    assert first['frame_index'] == 0
    stream.close()
    assert not _prefetch_threads()
