"""Test helpers: a tiny CSTED, its checkpoint, small videos."""
import cv2
import numpy as np
import torch

TINY_SYNTHETIC_CONFIG = 'configs/csted/synthetic/csted_tiny_synthetic.py'


def load_script(path: str):
    """Import a script (tools/..., demo/...) as a module."""
    import importlib.util
    import os.path as osp
    name = '_script_' + osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(rel: str, *argv: str, capture: bool = False):
    """Import ``tools/data/<rel>`` and call its ``main(argv)``; with
    ``capture``, ``(exit status, stdout)``."""
    import contextlib
    import io
    import os.path as osp
    tools = osp.join(
        osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools', 'data')
    mod = load_script(osp.join(tools, rel))
    if not capture:
        return mod.main(list(argv))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = mod.main(list(argv))
    return rc, out.getvalue()


def build_tiny_eval():
    from tests.test_models.utils import build_tiny
    torch.manual_seed(0)
    return build_tiny().eval()


def save_checkpoint(model, path: str, **extra) -> None:
    torch.save(
        dict(state_dict=model.state_dict(), meta=dict(epoch=1, **extra)), path)


def make_frames(num_frames=20, height=48, width=64, seed=0) -> np.ndarray:
    """RGB frames: a noisy background and a red square moving right."""
    rng = np.random.default_rng(seed)
    frames = rng.integers(
        0, 60, (num_frames, height, width, 3), dtype=np.uint8)
    for t in range(num_frames):
        x = 2 + t * max(1, (width - 20) // max(num_frames, 1))
        frames[t, 10:30, x:x + 16] = (220, 30, 30)
    return frames


def write_mp4(path: str, num_frames=20, height=48, width=64, fps=10):
    frames = make_frames(num_frames, height, width)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (width, height))
    assert writer.isOpened(), 'OpenCV cannot write mp4 here'
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    return frames


def set_mp4_rotation(path: str, clockwise: int) -> None:
    """Write a display rotation (90, 180, 270 degrees clockwise, as a phone
    stores a video filmed upright) into the track header of an mp4."""
    import struct
    one = 1 << 16
    a, b, c, d = {
        0: (one, 0, 0, one),
        90: (0, one, -one, 0),
        180: (-one, 0, 0, -one),
        270: (0, -one, one, 0)
    }[clockwise]
    with open(path, 'rb') as f:
        data = bytearray(f.read())
    box = data.find(b'tkhd')
    assert box > 0, f'{path} has no track header'
    # after 'tkhd': version and flags, creation and modification times,
    # track id, 4 reserved, duration, 8 reserved, layer, group, volume and 2
    # reserved, then the matrix; times are 4 bytes in version 0, 8 in 1
    times = 4 if data[box + 4] == 0 else 8
    matrix = box + 4 + 4 + 2 * times + 4 + 4 + times + 8 + 8
    struct.pack_into('>9i', data, matrix, a, b, 0, c, d, 0, 0, 0, 1 << 30)
    with open(path, 'wb') as f:
        f.write(data)


def write_frame_folder(folder, frames, ext='png') -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames, 1):
        cv2.imwrite(
            str(folder / f'{i:05d}.{ext}'), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))


def count_video_frames(path) -> int:
    """The frames OpenCV decodes from a video file."""
    cap = cv2.VideoCapture(str(path))
    count = 0
    while cap.read()[0]:
        count += 1
    cap.release()
    return count


# ------------------------------------------------------------------ fixtures
# Imported by the conftest.py of tests/test_apis, tests/test_tools and
# tests/test_visualization.
import functools  # noqa: E402
import http.server  # noqa: E402
import threading  # noqa: E402

import pytest  # noqa: E402


class _QuietHandler(http.server.SimpleHTTPRequestHandler):

    def log_message(self, *args, **kwargs):
        pass


@pytest.fixture
def http_dir(tmp_path):
    """(folder, base URL) of a local HTTP server on 127.0.0.1 serving the
    folder, for download tests without the network."""
    root = tmp_path / 'www'
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()


@pytest.fixture(scope='session')
def tiny_model():
    return build_tiny_eval()


@pytest.fixture(scope='session')
def attention_result(tiny_model):
    """``run_with_recording`` of the tiny model on a random 8-frame clip
    (the frame 48 x 64 inside the 64 x 64 input, 96 x 128 originally)."""
    from tools.analysis_tools.attention_recording import run_with_recording
    g = torch.Generator().manual_seed(0)
    clip = torch.randint(
        0, 256, (3, 8, 64, 64), generator=g, dtype=torch.uint8)
    return run_with_recording(
        tiny_model,
        clip,
        'The red dog, jumping!',
        img_shape=(48, 64),
        ori_shape=(96, 128))


@pytest.fixture(scope='session')
def tiny_checkpoint(tmp_path_factory, tiny_model):
    path = tmp_path_factory.mktemp('ckpt') / 'tiny.pth'
    save_checkpoint(tiny_model, str(path))
    return str(path)


@pytest.fixture(scope='session')
def small_video(tmp_path_factory):
    """(path of a 20-frame 48 x 64 mp4, its frames as written, T x H x W x 3
    RGB)."""
    path = tmp_path_factory.mktemp('video') / 'clip.mp4'
    frames = write_mp4(str(path), num_frames=20, height=48, width=64)
    return str(path), frames


@pytest.fixture(scope='session')
def synthetic_actor_tree(tmp_path_factory):
    """A small synthetic A2D tree (with its pretraining annotation files) and
    its ``generator_meta.json``: frames wide enough for decord, 12 frames so
    that an 8-frame clip fits around several targets. Read-only."""
    from tests.dataset_trees import make_synthetic_a2d
    from tools.data.synthetic.world import load_meta
    root = str(tmp_path_factory.mktemp('synthetic_actor_tree'))
    make_synthetic_a2d(
        root, num_videos=10, height=48, width=64, num_frames=12, seed=5)
    return root, load_meta(root)
