"""The frame cache of whole-video inference: each frame resized once, the
clips those of the test pipeline run on each clip, memory flat in the
video's length."""
import tracemalloc

import numpy as np
import pytest
import torch
from mmengine.dataset import Compose

from mmcsted.apis import inference_video
from mmcsted.apis.inference import ClipStream
from mmcsted.datasets.transforms import processing
from mmcsted.registry import TRANSFORMS
from mmcsted.utils.video_io import ArrayFrameReader, FrameReader
from tests.helpers import make_frames

SIZE = 32
RESIZES = {
    'pad_square': dict(type='ResizePadSquare', size=SIZE),
    'stretch': dict(type='ResizeStretch', size=SIZE, backend='pillow'),
}


def _transforms(resize: dict, clip_len=8, interval=1):
    return [
        dict(
            type='SampleClipAroundFrame',
            clip_len=clip_len,
            frame_interval=interval),
        dict(type='ClipFromFrameCache'), resize,
        dict(type='PackActorSegInputs')
    ]


@pytest.mark.parametrize('resize', list(RESIZES))
def test_clips_equal_the_test_pipeline_on_each_clip(tiny_model, resize):
    frames = make_frames(num_frames=14, height=45, width=80)
    transforms = _transforms(RESIZES[resize], interval=2)
    # the whole pipeline on each clip, from every original frame
    whole = Compose([TRANSFORMS.build(t) for t in transforms])
    stream = ClipStream(
        ArrayFrameReader(frames),
        list(range(14)),
        transforms,
        batch_size=3,
        metainfo=dict(query='a red dog'))
    seen = 0
    for items in stream:
        expected = [
            whole(
                dict(
                    query='a red dog',
                    frame_id=it.frame_index + 1,
                    num_frames=14,
                    video_id='<array>',
                    test_mode=True,
                    frame_cache=dict(enumerate(frames)))) for it in items
        ]
        for it, exp in zip(items, expected):
            assert torch.equal(it.clip, exp['inputs'])
            assert it.data_sample.metainfo == exp['data_samples'].metainfo
        with torch.no_grad():
            got = tiny_model.test_step(
                dict(
                    inputs=[it.clip for it in items],
                    data_samples=[it.data_sample for it in items]))
            want = tiny_model.test_step(
                dict(
                    inputs=[e['inputs'] for e in expected],
                    data_samples=[e['data_samples'] for e in expected]))
        for g, w in zip(got, want):
            np.testing.assert_allclose(
                g.seg_logits.data.numpy(),
                w.seg_logits.data.numpy(),
                atol=1e-6)
        seen += len(items)
    assert seen == 14


@pytest.mark.parametrize('resize', list(RESIZES))
def test_each_frame_is_resized_once(tiny_model, monkeypatch, resize):
    name = RESIZES[resize]['type']
    cls = getattr(processing, name)
    resized = []
    original = cls.transform

    def counting(self, results):
        resized.extend(id(img) for img in results['imgs'])
        return original(self, results)

    monkeypatch.setattr(cls, 'transform', counting)
    frames = make_frames(num_frames=20, height=36, width=48)
    settings = dict(resize=resize, input_size=SIZE, progress=False)
    if resize == 'stretch':
        settings['resize_backend'] = 'pillow'
    result = inference_video(tiny_model, frames, 'a dog', **settings)
    assert len(result) == 20
    # once per frame (not once per clip holding it: up to clip_len = 8)
    assert len(resized) == 20 == result.stats['frames_decoded']


def test_frames_of_two_shapes_are_an_error():
    frames = [np.zeros((8, 8, 3), np.uint8)] * 3 + \
        [np.zeros((8, 10, 3), np.uint8)] * 3
    stream = ClipStream(
        ArrayFrameReader(frames), [2],
        _transforms(RESIZES['stretch'], clip_len=4),
        metainfo=dict(query='a dog'))
    with pytest.raises(
            RuntimeError, match=r'frames of shapes \[\(8, 8\), '
            r'\(8, 10\)\]'):
        list(stream)


class GeneratedReader(FrameReader):
    """Frames made when read: the video is never held in memory."""

    def __init__(self, num_frames, height=64, width=80):
        self.num_frames, self.name = num_frames, 'generated'
        self.frame_shape = (height, width)

    def read(self, index):
        frame = np.empty(self.frame_shape + (3, ), np.uint8)
        frame[...] = index % 251
        return frame


def _peak_bytes(num_frames: int) -> int:
    stream = ClipStream(
        GeneratedReader(num_frames),
        range(num_frames),
        _transforms(dict(type='ResizePadSquare', size=64)),
        batch_size=8,
        metainfo=dict(query='a dog'))
    tracemalloc.start()
    try:
        for items in stream:
            del items
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_peak_memory_is_flat_in_the_video_length():
    short, long = _peak_bytes(300), _peak_bytes(3000)
    assert long < 1.1 * short, (short, long)


def test_frames_of_mixed_sizes_name_the_video():
    # inference reads a folder of frames into the cache: the error names it
    # (it was "DataLoadError: ?: frames of shapes ...")
    from mmcsted.apis.inference.pipeline import ClipFromFrameCache
    from mmcsted.datasets.transforms import DataLoadError
    cache = {
        0: np.zeros((4, 6, 3), np.uint8),
        1: np.zeros((5, 6, 3), np.uint8)
    }
    with pytest.raises(DataLoadError, match='^frames/holiday: frames of'):
        ClipFromFrameCache().transform(
            dict(
                frame_cache=cache,
                frame_inds=[1, 2],
                video_id='frames/holiday'))
