import os

import pytest

from demo import video_writer
from demo.video_writer import OverlayWriter
from tests.helpers import count_video_frames


def _write(out, n=6, size=(45, 61)):
    """Frames of an odd size (H.264 needs even sides: padded by one)."""
    import numpy as np
    writer = OverlayWriter(str(out), None, 10.)
    for i in range(n):
        writer.write(np.full(size + (3, ), 40 * i, np.uint8), i)
    writer.close()
    return writer


def _codec_and_frames(path):
    import av
    with av.open(str(path)) as container:
        name = container.streams.video[0].codec_context.name
        return name, sum(1 for _ in container.decode(video=0))


def test_mp4_is_h264_where_an_encoder_exists(tmp_path):
    # mp4v (MPEG-4 Part 2) does not play in browsers; PyAV's wheels carry
    # libx264 (this machine's OpenCV wheel has no H.264 encoder)
    import av
    if 'libx264' not in av.codecs_available:
        pytest.skip('this PyAV build has no libx264')
    writer = _write(tmp_path / 'out.mp4')
    assert writer.codec == 'H.264 (PyAV libx264)'
    assert _codec_and_frames(tmp_path / 'out.mp4') == ('h264', 6)
    assert count_video_frames(tmp_path / 'out.mp4') == 6  # and OpenCV reads it


def test_mp4_falls_back_to_mp4v_with_a_note(tmp_path, monkeypatch, capsys):

    class NoEncoder:

        def __init__(self, *args):
            raise RuntimeError('encoder not in this build')

    monkeypatch.setitem(video_writer.ENCODERS, '.mp4',
                        [('H.264 (PyAV libx264)', NoEncoder, 'libx264'),
                         ('H.264 (OpenCV avc1)', NoEncoder, 'avc1'),
                         video_writer.ENCODERS['.mp4'][-1]])
    writer = _write(tmp_path / 'out.mp4')
    assert writer.codec == 'MPEG-4 Part 2 (OpenCV mp4v)'
    err = capsys.readouterr().err
    assert 'encoder not in this build' in err and 'browsers do not play' in err
    assert _codec_and_frames(tmp_path / 'out.mp4') == ('mpeg4', 6)


def test_webm_and_unknown_extension(tmp_path):
    writer = _write(tmp_path / 'out.webm')
    assert writer.codec.startswith(('VP9', 'VP8'))
    name, n = _codec_and_frames(tmp_path / 'out.webm')
    assert name in ('vp9', 'vp8', 'libvpx', 'libvpx-vp9') and n == 6
    with pytest.raises(ValueError, match='.mp4 \\(H.264\\), .webm'):
        _write(tmp_path / 'out.avi')


@pytest.mark.parametrize('name', ['out.mp4', 'out.gif'])
def test_the_output_is_old_until_close_and_an_early_stop_keeps_a_partial(
        tmp_path, name):
    import numpy as np
    out = tmp_path / name
    out.write_bytes(b'old')
    writer = OverlayWriter(str(out), None, 10.)
    for i in range(3):
        writer.write(np.full((32, 48, 3), 60 * i, np.uint8), i)
        assert out.read_bytes() == b'old'  # a kill now leaves the old file
    stem, ext = name.split('.')
    assert writer.close(complete=False) == str(tmp_path /
                                               f'{stem}.partial.{ext}')
    assert out.read_bytes() == b'old'
    assert count_video_frames(tmp_path / f'{stem}.partial.{ext}') == 3
    _write(out, n=4, size=(32, 48))
    assert count_video_frames(out) == 4
    assert sorted(os.listdir(tmp_path)) == [name, f'{stem}.partial.{ext}']


def test_an_early_stop_before_any_frame_writes_nothing(tmp_path):
    writer = OverlayWriter(str(tmp_path / 'out.mp4'), None, 10.)
    assert writer.close(complete=False) == ''
    assert os.listdir(tmp_path) == []


def test_png_frames_are_written_whole(tmp_path):
    import cv2
    import numpy as np
    frame = np.zeros((20, 30, 3), np.uint8)
    frame[..., 0] = 200  # red in RGB
    writer = OverlayWriter(None, str(tmp_path / 'png'), 10.)
    writer.write(frame, 7)
    assert writer.close(complete=False) == str(tmp_path / 'png')
    assert os.listdir(tmp_path / 'png') == ['00007.png']
    back = cv2.imread(str(tmp_path / 'png' / '00007.png'))
    assert (back[..., ::-1] == frame).all()
