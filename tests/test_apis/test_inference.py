import numpy as np
import pytest
import torch

from mmcsted.apis import (VideoActorSegInferencer, inference_video, init_model,
                          iter_inference)
from mmcsted.apis.inference import ClipStream, inference_pipeline
from mmcsted.registry import INFERENCERS
from mmcsted.utils.checkpoint import CheckpointMismatchError
from mmcsted.utils.video_io import ArrayFrameReader, VideoReadError
from tests.helpers import (TINY_SYNTHETIC_CONFIG, make_frames,
                           write_frame_folder)
from tests.test_models.utils import TINY_CONFIG

SIZE = 32  # network input of the tests (small: fast)


@pytest.fixture(scope='module')
def all_frames(tiny_model, small_video):
    path, _ = small_video
    return inference_video(
        tiny_model,
        path,
        'the red dog jumping',
        batch_size=8,
        progress=False,
        input_size=SIZE)


def test_init_model_takes_the_vocabulary_from_the_checkpoint(
        tiny_checkpoint, tiny_model):
    # The synthetic config's vocabulary file does not exist in the tests:
    # the checkpoint's vocabulary is used.
    model = init_model(TINY_SYNTHETIC_CONFIG, tiny_checkpoint)
    assert not model.training
    report = model.checkpoint_report
    assert report['missing'] == [] and report['unexpected'] == []
    assert report['mismatched'] == []
    assert model.spatial_encoder.text_encoder.vocab.words == \
        tiny_model.spatial_encoder.text_encoder.vocab.words
    # the config's test pipeline, its loading steps replaced
    pipeline = inference_pipeline(model)
    assert pipeline.transforms == [
        dict(type='SampleClipAroundFrame', clip_len=8, frame_interval=1),
        dict(type='ClipFromFrameCache'),
        dict(type='ResizePadSquare', size=64),
        dict(type='PackActorSegInputs'),
    ]
    assert pipeline.image_backend == 'cv2' and pipeline.backend_args is None
    for k, v in tiny_model.state_dict().items():
        if isinstance(v, torch.Tensor):
            torch.testing.assert_close(model.state_dict()[k], v)


def test_init_model_reports_mismatched_keys(tmp_path, tiny_model):
    state = dict(tiny_model.state_dict())
    state.pop('decode_head.mask_heads.0.4.bias')
    state['decode_head.extra.weight'] = torch.zeros(2)
    state['decode_head.mask_heads.0.4.weight'] = torch.zeros(1, 3, 1, 1)
    path = tmp_path / 'partial.pth'
    torch.save({'state_dict': state}, path)
    with pytest.raises(CheckpointMismatchError) as info:
        init_model(TINY_CONFIG, str(path))
    assert '1 missing, 1 unexpected, 1 of another shape' in str(info.value)
    assert 'decode_head.mask_heads.0.4.bias' in str(info.value)
    model = init_model(TINY_CONFIG, str(path), allow_mismatch=True)
    report = model.checkpoint_report
    assert report['missing'] == ['decode_head.mask_heads.0.4.bias']
    assert report['unexpected'] == ['decode_head.extra.weight']
    assert len(report['mismatched']) == 1
    assert 'decode_head.mask_heads.0.4.weight' in report['mismatched'][0]

    torch.save({'state_dict': {
        'other.weight': torch.zeros(1)
    }}, tmp_path / 'wrong.pth')
    with pytest.raises(RuntimeError, match='wrong config'):
        init_model(TINY_CONFIG, str(tmp_path / 'wrong.pth'))
    with pytest.raises(FileNotFoundError, match='neither a file'):
        init_model(TINY_CONFIG, str(tmp_path / 'absent.pth'))


def test_every_frame_of_a_video_file(all_frames, small_video):
    _, frames = small_video
    assert all_frames.frame_indices == list(range(len(frames)))
    assert len(all_frames.masks) == len(all_frames.scores) == len(frames)
    for mask, score in zip(all_frames.masks, all_frames.scores):
        assert mask.shape == (48, 64) and mask.dtype == np.uint8
        assert score.shape == (48, 64) and score.dtype == np.float32
        assert set(np.unique(mask)) <= {0, 1}
        assert 0 <= score.min() and score.max() <= 1
        np.testing.assert_array_equal(mask, (score >= 0.5).astype(np.uint8))
    # the frame cache's counts (timings: tools/analysis_tools/
    # benchmark_video.py)
    stats = all_frames.stats
    assert stats['frames'] == 20 and stats['frames_decoded'] == 20


def test_a_video_file_is_streamed_by_pyav_else_decord(tiny_model, small_video,
                                                      monkeypatch):
    # PyAV's memory stays flat over a long file, decord's grows with it;
    # decord seeks, so it comes first for a few frames far into the video
    from mmcsted.utils import video_io
    path, frames = small_video
    opened = []

    def spy(backend):

        def open_(*args, **kwargs):
            opened.append(backend)
            if backend == 'pyav' and fail_pyav:
                raise RuntimeError('this PyAV build cannot read it')
            return original[backend](*args, **kwargs)

        return open_

    original = dict(
        pyav=video_io.PyAVFrameReader, decord=video_io.DecordFrameReader)
    monkeypatch.setattr(video_io, 'PyAVFrameReader', spy('pyav'))
    monkeypatch.setattr(video_io, 'DecordFrameReader', spy('decord'))
    fail_pyav = False
    every = inference_video(tiny_model, path, 'a dog', progress=False)
    dense = inference_video(
        tiny_model, path, 'a dog', frames=range(2, 20), progress=False)
    assert opened == ['pyav', 'pyav']
    fail_pyav = True
    again = inference_video(tiny_model, path, 'a dog', progress=False)
    assert opened[2:] == ['pyav', 'decord']  # the fallback, same masks
    np.testing.assert_array_equal(np.stack(every.masks), np.stack(again.masks))
    sparse = inference_video(
        tiny_model, path, 'a dog', frames=(f for f in [3, 17]), progress=False)
    assert opened[4:] == ['decord'] and sparse.frame_indices == [3, 17]
    for result in (dense, sparse):
        np.testing.assert_array_equal(
            np.stack(result.masks),
            np.stack(every.masks)[result.frame_indices])


def test_chosen_frames_only_and_batching_does_not_change_results(
        tiny_model, small_video, all_frames):
    path, _ = small_video
    result = inference_video(
        tiny_model,
        path,
        'the red dog jumping',
        frames=[17, 3, 3],
        batch_size=1,
        progress=False,
        input_size=SIZE)
    assert result.frame_indices == [3, 17]
    for i, f in enumerate(result.frame_indices):
        np.testing.assert_allclose(
            result.scores[i], all_frames.scores[f], atol=1e-5)
    # only the frames of the two windows were decoded
    assert result.stats['frames_decoded'] == len(
        set(range(0, 7)) | set(range(13, 20)))


def test_frame_folder_array_and_list_agree(tiny_model, tmp_path):
    frames = make_frames(num_frames=6, height=40, width=56)
    write_frame_folder(tmp_path / 'frames', frames)
    kwargs = dict(frames=[0, 5], progress=False, input_size=SIZE, batch_size=2)
    from_dir = inference_video(tiny_model, str(tmp_path / 'frames'), 'a cat',
                               **kwargs)
    from_array = inference_video(tiny_model, frames, 'a cat', **kwargs)
    from_list = inference_video(tiny_model, list(frames), 'a cat', **kwargs)
    assert from_dir.frame_indices == from_array.frame_indices == [0, 5]
    for a, b, c in zip(from_dir.scores, from_array.scores, from_list.scores):
        assert a.shape == (40, 56)
        np.testing.assert_allclose(a, b, atol=1e-6)
        np.testing.assert_allclose(b, c, atol=1e-6)


def test_api_frames_refused_with_the_projects_errors(tiny_model):
    frames = make_frames(num_frames=3, height=32, width=32)
    with pytest.raises(TypeError, match=r'frame indices are integers.*1\.5'):
        inference_video(tiny_model, frames, 'a cat', frames=[1.5])
    with pytest.raises(TypeError, match='frame indices are integers'):
        inference_video(tiny_model, frames, 'a cat', frames=[True])
    assert inference_video(
        tiny_model, frames, 'a cat', frames=[np.int64(1)],
        progress=False).frame_indices == [1]
    with pytest.raises(ValueError, match='bool frames are masks'):
        inference_video(tiny_model, frames > 100, 'a cat')
    with pytest.raises(ValueError, match=r'got shape \(0, 5, 3\)'):
        inference_video(tiny_model, [np.zeros((0, 5, 3), np.uint8)], 'a cat')


def test_stream_yields_original_frames(tiny_model):
    frames = make_frames(num_frames=5, height=32, width=32)
    out = list(
        iter_inference(
            tiny_model,
            frames,
            'a dog',
            progress=False,
            input_size=SIZE,
            return_frames=True,
            return_scores=False))
    assert [r['frame_index'] for r in out] == list(range(5))
    for r in out:
        np.testing.assert_array_equal(r['frame'], frames[r['frame_index']])
        assert r['score'] is None and r['mask'].shape == (32, 32)


def test_clear_errors(tiny_model, small_video, tmp_path):
    path, _ = small_video
    corrupt = tmp_path / 'broken_clip.mp4'
    with open(path, 'rb') as f:
        data = f.read()
    corrupt.write_bytes(data[:200])  # header only
    with pytest.raises(VideoReadError, match='broken_clip.mp4'):
        inference_video(tiny_model, str(corrupt), 'a dog', progress=False)
    garbage = tmp_path / 'noise.mp4'
    garbage.write_bytes(b'not a video' * 100)
    with pytest.raises(VideoReadError, match='noise.mp4'):
        inference_video(tiny_model, str(garbage), 'a dog', progress=False)
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        inference_video(tiny_model, str(tmp_path / 'missing.mp4'), 'a dog')
    for query in ('', '   ', '?!'):
        with pytest.raises(ValueError, match='empty query'):
            inference_video(tiny_model, path, query)
    with pytest.raises(IndexError, match=r'\[20\] out of range.*0\.\.19'):
        inference_video(tiny_model, path, 'a dog', frames=[0, 20])
    with pytest.raises(IndexError, match='out of range'):
        inference_video(tiny_model, path, 'a dog', frames=[-1])
    with pytest.raises(ValueError, match='T x H x W x 3'):
        inference_video(tiny_model, np.zeros((4, 8, 8)), 'a dog')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(VideoReadError, match='no image files'):
        inference_video(tiny_model, str(tmp_path / 'empty'), 'a dog')


class CountingReader(ArrayFrameReader):
    """Counts reads and checks they come in ascending order, once each."""

    def __init__(self, frames):
        super().__init__(frames, name='counting')
        self.reads = []

    def read(self, index):
        assert not self.reads or index > self.reads[-1], 'not ascending'
        self.reads.append(index)
        return super().read(index)


@pytest.mark.parametrize('clip_len,interval,batch,targets', [
    (8, 1, 4, None),
    (8, 2, 4, None),
    (8, 2, 3, [0, 1, 2, 50, 51, 52, 120, 199]),
    (4, 3, 8, list(range(0, 200, 5))),
])
def test_clip_stream_cache_stays_bounded(clip_len, interval, batch, targets):
    n = 200
    frames = np.zeros((n, 4, 4, 3), np.uint8)
    frames[..., 0] = (np.arange(n) % 256)[:, None, None]
    frames[..., 1] = (np.arange(n) // 256)[:, None, None]
    reader = CountingReader(frames)
    span = (clip_len - 1) * interval + 1
    # every frame requested: one window span + one batch (the windows of
    # consecutive targets overlap); sparse targets: one batch of windows
    # plus the part of the next windows decoded on the way
    bound = span + batch - 1 if targets is None else \
        batch * clip_len + span
    targets = targets or list(range(n))
    transforms = [
        dict(
            type='SampleClipAroundFrame',
            clip_len=clip_len,
            frame_interval=interval),
        dict(type='ClipFromFrameCache'),
        dict(type='ResizePadSquare', size=4),
        dict(type='PackActorSegInputs'),
    ]
    stream = ClipStream(
        reader,
        targets,
        transforms,
        batch_size=batch,
        metainfo=dict(query='a dog'))
    seen = []
    for items in stream:
        assert len(stream.cache) <= bound
        for it in items:
            seen.append(it.frame_index)
            index = (it.clip[0, :, 0, 0].long() +
                     256 * it.clip[1, :, 0, 0].long()).tolist()
            expected = [
                min(
                    max(it.frame_index + (i - clip_len // 2) * interval, 0),
                    n - 1) for i in range(clip_len)
            ]
            assert index == expected == it.frame_inds
            assert it.img_shape == it.ori_shape == (4, 4)
    assert seen == targets
    # the whole video was never held
    assert stream.peak_cache <= bound < n
    # each needed frame decoded exactly once, in order
    assert reader.reads == sorted(set(reader.reads))
    assert stream.frames_decoded == len(reader.reads)


def test_inference_reports_the_cache_bound(tiny_model):
    frames = make_frames(num_frames=20, height=32, width=32)
    reader = CountingReader(frames)
    result = inference_video(
        tiny_model,
        reader,
        'the red dog',
        batch_size=2,
        progress=False,
        input_size=SIZE)
    assert len(result) == 20
    assert result.stats['peak_cache'] <= (8 - 1) + 2
    assert reader.reads == list(range(20))


def test_inferencer_class(tiny_model, tiny_checkpoint):
    assert INFERENCERS.get('VideoActorSegInferencer') is \
        VideoActorSegInferencer
    frames = make_frames(num_frames=3, height=32, width=48)
    inferencer = VideoActorSegInferencer(tiny_model)
    result = inferencer(
        frames, 'a red dog', frames=[1], progress=False, input_size=SIZE)
    assert result.frame_indices == [1] and result.masks[0].shape == (32, 48)
    assert result[0]['mask'] is result.masks[0]
    from_config = VideoActorSegInferencer(TINY_SYNTHETIC_CONFIG,
                                          tiny_checkpoint)
    again = from_config(
        frames, 'a red dog', frames=[1], progress=False, input_size=SIZE)
    np.testing.assert_allclose(again.scores[0], result.scores[0], atol=1e-5)
    assert len(list(from_config.stream(frames, 'a dog', progress=False))) \
        == 3


def test_collate_lookup_finds_the_mmcsted_scope():
    """BaseInferencer looks ``collate_fn`` up in the function registry under
    the scope ``mmcsted``; without a child registry of that scope mmengine
    warns ("Failed to search registry") and falls back to its root."""
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import FUNCTIONS as ROOT

    from mmcsted.registry import FUNCTIONS
    with ROOT.switch_scope_and_registry('mmcsted') as registry:
        assert registry is FUNCTIONS
        assert registry.get('pseudo_collate') is pseudo_collate


def test_inferencer_steps_and_their_arguments(tiny_model):
    from mmengine.infer import BaseInferencer
    assert isinstance(
        INFERENCERS.build(
            dict(type='video-actor-segmentation', model=tiny_model)),
        VideoActorSegInferencer)
    inferencer = VideoActorSegInferencer(tiny_model, show_progress=False)
    assert isinstance(inferencer, BaseInferencer)
    frames = make_frames(num_frames=4, height=32, width=48)
    out = list(
        inferencer.stream(
            frames,
            'a red dog',
            frames=[0, 3],
            input_size=SIZE,
            return_vis=True,
            min_size=96,
            return_frames=True,
            return_datasamples=True))
    assert [r['frame_index'] for r in out] == [0, 3]
    for r in out:
        np.testing.assert_array_equal(r['frame'], frames[r['frame_index']])
        assert r['visualization'].shape[1] == 96  # enlarged, query on top
        assert r['visualization'].shape[0] > 64
        assert r['data_sample'].query == 'a red dog'
        np.testing.assert_array_equal(
            r['mask'], r['data_sample'].pred_sem_seg.data[0].numpy())
    with pytest.raises(ValueError, match='unknown argument'):
        inferencer(frames, 'a red dog', input_sise=SIZE)
