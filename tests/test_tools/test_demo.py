import os
import subprocess
import sys

import cv2
import pytest

from tests.helpers import (TINY_SYNTHETIC_CONFIG, count_video_frames,
                           load_script)

demo = load_script('demo/demo.py')


@pytest.fixture(scope='module')
def synthetic_root(tmp_path_factory):
    from tools.data.synthetic import generate
    root = tmp_path_factory.mktemp('synthetic_a2d')
    generate(str(root), num_videos=5, num_frames=10, num_missed=1, seed=3)
    return root


def test_demo_on_a_synthetic_clip_as_a_script(synthetic_root, tiny_checkpoint,
                                              tmp_path):
    # no VIDEO / QUERY: the first test video of the benchmark; the default
    # config (csted_tiny_synthetic), whose vocabulary file is not there: the
    # checkpoint's vocabulary is used
    out = tmp_path / 'demo.mp4'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([
        sys.executable, 'demo/demo.py', '--checkpoint', tiny_checkpoint,
        '--data-root',
        str(synthetic_root), '--out',
        str(out), '--batch-size', '4', '--no-progress'
    ],
                          capture_output=True,
                          text=True,
                          timeout=300,
                          env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'synthetic example' in proc.stdout
    assert 'frames/s' in proc.stdout
    assert count_video_frames(out) == 10


def test_demo_gif_frames_and_png_dir(small_video, tiny_checkpoint, tmp_path,
                                     capsys):
    from PIL import Image
    path, _ = small_video
    gif = tmp_path / 'out.gif'
    assert demo.main([
        path, 'the red dog', '--checkpoint', tiny_checkpoint, '--config',
        TINY_SYNTHETIC_CONFIG, '--gif', '--out',
        str(gif), '--frames', '0-2', '7', '--no-progress', '--min-size', '128'
    ]) == 0
    with Image.open(gif) as im:
        assert im.n_frames == 4
        assert im.size[0] == 128
    assert 'inference: 4 frames' in capsys.readouterr().out
    assert demo.main([
        path, 'a dog', '--checkpoint', tiny_checkpoint, '--png-dir',
        str(tmp_path / 'png'), '--frames', '3:7:2', '--no-progress', '--fast'
    ]) == 0
    assert sorted(os.listdir(tmp_path / 'png')) == ['00003.png', '00005.png']


def test_demo_arguments(tmp_path):
    with pytest.raises(SystemExit):
        demo.parse_args(['video.mp4', '--checkpoint', 'x'])  # no query
    with pytest.raises(SystemExit):
        demo.parse_args(['v.mp4', 'q', '--checkpoint', 'x', '--frames', 'a'])
    with pytest.raises(FileNotFoundError, match='generate.py'):
        demo.synthetic_example(str(tmp_path / 'nothing'))


def test_demo_on_a_folder_of_frames(small_video, tiny_checkpoint, tmp_path,
                                    capsys):
    """A folder of frame images is a video: same numbering as the mp4."""
    from mmcsted.utils.video_io import open_video
    from tests.helpers import write_frame_folder
    path, _ = small_video
    with open_video(path) as reader:
        decoded = [f for _, f in reader.iter_frames(range(reader.num_frames))]
    folder = tmp_path / 'frames'
    write_frame_folder(folder, decoded, ext='png')
    outs = {}
    for name, video in (('mp4', path), ('dir', str(folder))):
        outs[name] = tmp_path / f'png_{name}'
        assert demo.main([
            video, 'the red dog', '--checkpoint', tiny_checkpoint, '--png-dir',
            str(outs[name]), '--frames', '0', '5-6', '19', '--no-progress'
        ]) == 0
    names = sorted(os.listdir(outs['dir']))
    assert names == sorted(os.listdir(
        outs['mp4'])) == ['00000.png', '00005.png', '00006.png', '00019.png']
    for n in names:  # lossless frames: the same overlays
        a = cv2.imread(str(outs['dir'] / n))
        b = cv2.imread(str(outs['mp4'] / n))
        assert (a == b).all()
    assert 'inference: 4 frames' in capsys.readouterr().out


def test_demo_folder_errors(tiny_checkpoint, tmp_path, capsys):
    from tests.helpers import make_frames, write_frame_folder
    folder = tmp_path / 'frames'
    write_frame_folder(folder, make_frames(num_frames=5), ext='jpg')
    (folder / '00003.jpg').write_bytes(b'broken')
    args = [
        'a dog', '--checkpoint', tiny_checkpoint, '--png-dir',
        str(tmp_path / 'out'), '--no-progress'
    ]
    assert demo.main([str(folder)] + args) == 1
    assert '00003.jpg' in capsys.readouterr().err
    (tmp_path / 'empty').mkdir()
    assert demo.main([str(tmp_path / 'empty')] + args) == 1
    assert 'no image files' in capsys.readouterr().err
    assert demo.main([str(tmp_path / 'missing')] + args) == 1
    assert 'missing' in capsys.readouterr().err


def test_demo_failing_mid_video_keeps_the_old_output_and_the_frames_done(
        tiny_checkpoint, tmp_path, capsys):
    from tests.helpers import make_frames, write_frame_folder
    folder = tmp_path / 'frames'
    write_frame_folder(folder, make_frames(num_frames=24), ext='jpg')
    (folder / '00022.jpg').write_bytes(b'broken')  # read by the last batch
    out = tmp_path / 'out.mp4'
    out.write_bytes(b'an earlier run')
    assert demo.main([
        str(folder), 'a dog', '--checkpoint', tiny_checkpoint, '--out',
        str(out), '--batch-size', '2', '--no-progress'
    ]) == 1
    err = capsys.readouterr().err
    assert '00022.jpg' in err and 'out.partial.mp4' in err
    assert out.read_bytes() == b'an earlier run'
    done = count_video_frames(tmp_path / 'out.partial.mp4')
    assert 0 < done < 24
    assert sorted(
        os.listdir(tmp_path)) == ['frames', 'out.mp4',
                                  'out.partial.mp4']  # no temporary file left


def test_demo_refuses_a_checkpoint_that_does_not_fit(tiny_checkpoint,
                                                     small_video, tmp_path):
    import torch
    ckpt = torch.load(tiny_checkpoint, weights_only=False)
    ckpt['state_dict'].pop('decode_head.mask_heads.0.4.bias')
    bad = str(tmp_path / 'partial.pth')
    torch.save(ckpt, bad)
    args = [
        str(small_video[0]), 'a dog', '--checkpoint', bad, '--png-dir',
        str(tmp_path / 'out'), '--frames', '0', '--no-progress'
    ]
    with pytest.raises(SystemExit) as info:
        demo.main(args)
    msg = str(info.value.code)
    assert 'does not fit the config' in msg and '1 missing' in msg
    assert '--allow-mismatch' in msg
    assert not (tmp_path / 'out').exists()
    assert demo.main(args + ['--allow-mismatch']) == 0


def test_demo_unknown_zoo_entry_is_one_line(tmp_path):
    with pytest.raises(SystemExit) as info:
        demo.main([
            'v.mp4', 'a dog', '--checkpoint', 'no_such_zoo_model', '--png-dir',
            str(tmp_path / 'out')
        ])
    assert str(info.value.code).startswith('error: ')
    assert 'no_such_zoo_model' in str(info.value.code)


def test_demo_query_without_a_word_is_one_line(tmp_path):
    # the rule of mmcsted.text.has_words, as the API and the web demo say it
    for query in ('', '?!... --'):
        with pytest.raises(SystemExit) as info:
            demo.main([
                'v.mp4', query, '--checkpoint', 'no_such_zoo_model',
                '--png-dir',
                str(tmp_path / 'out')
            ])
        assert str(info.value.code).startswith(
            f'error: empty query {query!r}: it has no word in it')


def test_readme_frames_example_fits_a_synthetic_video():
    # the example was out of range on the 24-frame synthetic videos
    import inspect
    import re

    from tools.data.synthetic import writer
    with open('demo/README.md') as f:
        example = re.search(r'\[--frames ([^\]]+)\]', f.read()).group(1)
    frames = demo.parse_frames(example.split())
    num_frames = inspect.signature(
        writer.generate).parameters['num_frames'].default
    assert num_frames == 24 and frames and max(frames) < num_frames


def test_parse_frames():
    assert demo.parse_frames(['1', '4-6',
                              '10:16:3,20']) == [1, 4, 5, 6, 10, 13, 20]
    assert demo.parse_frames([]) is None
    with pytest.raises(ValueError, match="bad frame list item 'a'"):
        demo.parse_frames(['1', 'a'])
