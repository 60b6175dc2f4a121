"""The video-reading layer (mmcsted/utils/video_io.py): remote files through
mmengine.fileio, decord's fallback to PyAV, float frames."""
import os.path as osp
import shutil
import tracemalloc

import numpy as np
import pytest

from mmcsted.utils import video_io
from mmcsted.utils.video_io import (ArrayFrameReader, DecordFrameReader,
                                    PyAVFrameReader, VideoReadError,
                                    open_video, read_frame)
from tests.helpers import set_mp4_rotation, write_frame_folder, write_mp4


def _all(reader):
    with reader:
        return np.stack(
            [f for _, f in reader.iter_frames(range(reader.num_frames))])


def test_video_and_frames_over_http_equal_local_reads(tmp_path, http_dir):
    root, url = http_dir
    write_mp4(str(root / 'clip.mp4'), num_frames=10, height=32, width=64)
    local = _all(open_video(str(root / 'clip.mp4')))
    remote = _all(open_video(f'{url}/clip.mp4'))
    assert local.shape == (10, 32, 64, 3)
    np.testing.assert_array_equal(remote, local)
    write_frame_folder(root / 'frames', local[:3])
    np.testing.assert_array_equal(
        read_frame(
            frame_dir=f'{url}/frames', frame_id=2, filename_tmpl='{:05d}.png'),
        local[1])
    with pytest.raises(VideoReadError, match='00009.png'):
        read_frame(
            frame_dir=f'{url}/frames', frame_id=9, filename_tmpl='{:05d}.png')


def test_decord_failure_mid_video_falls_back_to_pyav(tmp_path, monkeypatch):
    path = str(tmp_path / 'clip.mp4')
    write_mp4(path, num_frames=20, height=32, width=64)
    expected = _all(PyAVFrameReader(path))
    calls = []

    def flaky(self, results):  # the second batch of frames fails
        calls.append(list(results['frame_inds']))
        if len(calls) == 2:
            raise RuntimeError('decoder error')
        return original(self, results)

    original = video_io.DecordDecode.transform
    monkeypatch.setattr(video_io.DecordDecode, 'transform', flaky)
    got = _all(DecordFrameReader(path, chunk=8))
    assert calls[0] == list(range(8)) and len(calls) == 2
    np.testing.assert_array_equal(got, expected)
    calls.clear()
    reader = DecordFrameReader(path, chunk=8, fallback=False)
    with pytest.raises(VideoReadError, match=r'frames 8\.\.15 of .*clip.mp4'):
        _all(reader)


@pytest.mark.parametrize('reader', [DecordFrameReader, PyAVFrameReader])
def test_local_videos_stream_without_holding_the_file(tmp_path, reader):
    # an hour of HD video is gigabytes: a local file is decoded from its
    # path, not read into memory first (a remote one still is: test above)
    import av
    path = str(tmp_path / 'noise.mkv')
    rng = np.random.default_rng(0)
    with av.open(path, 'w') as container:  # lossless noise: a large file
        stream = container.add_stream('ffv1', rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, 'yuv444p'
        for _ in range(400):
            frame = av.VideoFrame.from_ndarray(
                rng.integers(0, 256, (64, 64, 3), np.uint8), format='rgb24')
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    size = osp.getsize(path)
    assert size > 4e6
    tracemalloc.start()
    try:
        with reader(path) as r:
            for _ in r.iter_frames(range(r.num_frames)):
                pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r.num_frames == 400
    assert peak < size / 4, (peak, size)


def test_pyav_reads_sparse_frames_as_decord_does(tmp_path):
    path = str(tmp_path / 'clip.mp4')
    write_mp4(path, num_frames=20, height=32, width=64)
    wanted = [2, 3, 11, 19]
    with PyAVFrameReader(path) as r:  # frames between are decoded, skipped
        sparse = [f for _, f in r.iter_frames(wanted)]
        back = r.read(1)  # going back reopens the file
    every = _all(DecordFrameReader(path))
    np.testing.assert_array_equal(np.stack(sparse), every[wanted])
    np.testing.assert_array_equal(back, every[1])


@pytest.mark.parametrize('clockwise', [90, 180, 270])
def test_a_rotated_video_is_read_upright_as_players_show_it(
        tmp_path, clockwise):
    import cv2
    path = str(tmp_path / 'phone.mp4')
    write_mp4(path, num_frames=4, height=48, width=64)
    stored = _all(PyAVFrameReader(path))
    set_mp4_rotation(path, clockwise)
    upright = np.rot90(stored, -clockwise // 90, axes=(1, 2))
    np.testing.assert_array_equal(_all(PyAVFrameReader(path)), upright)
    # decord turns 180 itself; on 90 and 270 it fails and PyAV takes over
    np.testing.assert_array_equal(_all(DecordFrameReader(path)), upright)
    # OpenCV turns it the same way (its own decoder: compare loosely)
    cap = cv2.VideoCapture(path)
    ok, bgr = cap.read()
    cap.release()
    assert ok and bgr.shape == upright[0].shape
    assert np.abs(bgr[..., ::-1].astype(int) - upright[0]).mean() < 3


def test_corrupt_and_missing_files_are_named(tmp_path):
    good = tmp_path / 'good.mp4'
    write_mp4(str(good), num_frames=4, height=32, width=64)
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(good.read_bytes()[:300])
    with pytest.raises(VideoReadError, match='bad.mp4.*decord.*pyav'):
        open_video(str(bad))
    with pytest.raises(FileNotFoundError, match='absent.mp4'):
        open_video(str(tmp_path / 'absent.mp4'))
    folder = tmp_path / 'frames'
    write_frame_folder(folder, _all(open_video(str(good))), ext='jpg')
    shutil.copy(folder / '00001.jpg', folder / '10.jpg')
    # natural order: 1 < ... < 4 < 10 (00001..00004 are 1..4)
    assert [p.rsplit('/', 1)[-1] for p in open_video(str(folder)).paths] == [
        '00001.jpg', '00002.jpg', '00003.jpg', '00004.jpg', '10.jpg'
    ]


def test_uint16_scaled_bool_out_of_range_and_empty_frames_refused():
    # uint16 was clipped to 255 (white), bool read as 0/1 (black): both gave
    # empty masks without a word; a 0 x 5 frame failed inside OpenCV
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (2, 4, 5, 3), dtype=np.uint8)
    wide = frames.astype(np.uint16) * 257
    np.testing.assert_array_equal(_all(ArrayFrameReader(wide)), frames)
    np.testing.assert_array_equal(_all(ArrayFrameReader(list(wide))), frames)
    with pytest.raises(ValueError, match='bool frames are masks'):
        ArrayFrameReader(frames > 100)
    with pytest.raises(ValueError, match=r'frame 1: bool frames'):
        ArrayFrameReader([frames[0], frames[1] > 100])
    with pytest.raises(
            ValueError, match=r'int32 frames with values in '
            r'\[0, 1000\]'):
        ArrayFrameReader(
            np.full(
                (1, 4, 5, 3), 1000, np.int32) * (np.arange(5)[:, None] > 0))
    assert _all(ArrayFrameReader(frames.astype(np.int64))).dtype == np.uint8
    with pytest.raises(
            ValueError, match=r'with pixels, got shape '
            r'\(0, 5, 3\)'):
        ArrayFrameReader([np.zeros((0, 5, 3), np.uint8)])
    with pytest.raises(ValueError, match='with pixels'):
        ArrayFrameReader(np.zeros((2, 0, 5, 3), np.uint8))


def test_float_frames_in_0_1_are_scaled_other_floats_rejected():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)
    scaled = _all(ArrayFrameReader(frames / 255.))
    np.testing.assert_array_equal(scaled, frames)
    as_list = _all(
        ArrayFrameReader([f.astype(np.float32) / 255 for f in frames]))
    np.testing.assert_array_equal(as_list, frames)
    with pytest.raises(ValueError, match=r'\[0, 1\].*\[0, 255\]'):
        ArrayFrameReader(frames.astype(np.float64))
    with pytest.raises(ValueError, match=r'\[-1, 1\]'):
        ArrayFrameReader(np.full((2, 4, 4, 3), -1.) + np.eye(4)[..., None] * 2)
