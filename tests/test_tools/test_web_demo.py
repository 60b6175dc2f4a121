"""demo/web_demo.py: its input checks, and the real page in headless
Chromium (Selenium) against the server started here on a free port."""
import importlib.util
import io
import os
import os.path as osp
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile

import cv2
import numpy as np
import pytest

from tests.helpers import (TINY_SYNTHETIC_CONFIG, load_script, make_frames,
                           write_frame_folder)

web_demo = load_script('demo/web_demo.py')
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
CHROMEDRIVER = shutil.which('chromedriver')
_missing = [
    what for what, ok in (
        ('gradio (pip install -e ".[demo]")',
         importlib.util.find_spec('gradio')),
        ('selenium (pip install -e ".[tests]")',
         importlib.util.find_spec('selenium')),
        ('chromium (apt-get install chromium)', CHROMIUM),
        ('chromedriver (apt-get install chromium-driver)', CHROMEDRIVER),
    ) if not ok
]
_MISSING_REASON = 'the browser test of the web demo needs ' + \
    ', '.join(_missing)
# CI (.ci/run) installs them: there a missing one is a failure, not a skip
needs_browser = pytest.mark.skipif(
    bool(_missing) and not os.environ.get('CI'), reason=_MISSING_REASON)


def _require_browser_stack():
    if _missing and os.environ.get('CI'):
        pytest.fail(_MISSING_REASON)
    if _missing:
        pytest.skip(_MISSING_REASON)


# MMCSTED_WRITE_SCREENSHOTS=1: the browser test rewrites the README's
# screenshots (docs/images/web_demo_*.png)
SCREENSHOTS = os.environ.get('MMCSTED_WRITE_SCREENSHOTS') == '1'


# ------------------------------------------------------------ input checks
class _Args:
    max_upload_mb = 1.
    max_video_frames = 30
    max_side = 100
    max_frames = 10
    batch_size = 2


def _run(demo, **kw):
    inputs = dict(
        example_name=None,
        upload=None,
        folder=None,
        query='the red square',
        frame_mode='all',
        every=2,
        frame_list='',
        threshold=0.5,
        attention_frame=None)
    inputs.update(kw)
    return demo.run(**inputs)


@pytest.fixture
def page_logic(tiny_model):
    model = web_demo.DemoModel.__new__(web_demo.DemoModel)
    model.model, model.error, model.description = tiny_model, None, ''
    import threading
    model.lock = threading.Lock()
    return web_demo.WebDemo(_Args(), model, [])


def test_bad_input_becomes_the_page_status(page_logic, small_video, tmp_path):
    video, _ = small_video  # 20 frames, 48 x 64
    status = _run(page_logic, query='  ', upload=video)[0]
    assert status.startswith('**Error:**') and 'empty query' in status
    status = _run(page_logic, query='!?')[0]
    assert 'empty query' in status
    assert 'pick an example' in _run(page_logic)[0]
    text = tmp_path / 'notes.txt'
    text.write_text('hello')
    assert 'is not a video' in _run(page_logic, upload=str(text))[0]
    fake = tmp_path / 'fake.mp4'
    fake.write_bytes(b'not a video at all' * 10)
    assert 'cannot be read as a video' in _run(page_logic, upload=str(fake))[0]
    big = tmp_path / 'big.avi'
    big.write_bytes(b'\0' * (2**20 + 1))
    assert 'more than the limit' in _run(page_logic, upload=str(big))[0]
    # 20 frames: more than --max-frames 10 unless every 2nd
    assert 'the limit is 10 (--max-frames)' in _run(
        page_logic, upload=video)[0]
    assert 'outside the video' in _run(
        page_logic, upload=video, frame_mode='list', frame_list='3 25')[0]
    assert 'frame list' in _run(
        page_logic, upload=video, frame_mode='list', frame_list='x')[0]
    assert 'outside the video' in _run(
        page_logic, upload=video, frame_mode='every n-th',
        attention_frame=20)[0]


def test_limits_on_length_and_size(page_logic, tmp_path):
    from tests.helpers import write_mp4
    long = tmp_path / 'long.mp4'
    write_mp4(str(long), num_frames=31, height=32, width=32)
    assert 'too long: 31 frames' in _run(page_logic, upload=str(long))[0]
    wide = tmp_path / 'wide.mp4'
    write_mp4(str(wide), num_frames=4, height=32, width=128)
    assert 'too large: 128 x 32' in _run(page_logic, upload=str(wide))[0]


def test_frames_of_mixed_sizes_and_zips(page_logic, tmp_path):
    folder = tmp_path / 'frames'
    write_frame_folder(folder, make_frames(3, 48, 64))
    cv2.imwrite(str(folder / '00004.png'), np.zeros((40, 64, 3), np.uint8))
    files = sorted(str(p) for p in folder.iterdir())
    status = _run(page_logic, folder=files)[0]
    assert 'different sizes' in status and '00004.png' in status
    broken = tmp_path / 'frames.zip'
    broken.write_bytes(b'PK not really')
    assert 'not a readable zip' in _run(page_logic, upload=str(broken))[0]


def test_a_zip_of_frames_is_segmented_as_the_api_does(page_logic, tmp_path):
    from mmcsted.apis import inference_video
    frames = make_frames(6, 48, 64)
    folder = tmp_path / 'frames'
    write_frame_folder(folder, frames)
    archive = tmp_path / 'frames.zip'
    with zipfile.ZipFile(archive, 'w') as z:
        for p in sorted(folder.iterdir()):
            z.write(p, f'clip/{p.name}')
    calls = []
    status, video, gallery, masks, pictures, table = _run(
        page_logic,
        upload=str(archive),
        frame_mode='every n-th',
        every=2,
        attention_frame=2,
        progress=lambda done, **kw: calls.append(done))
    assert status.startswith('Segmented 3 frames'), status
    assert calls == [(1, 3), (2, 3), (3, 3)]  # the page's progress bar
    expected = inference_video(
        page_logic.model.model,
        str(folder),
        'the red square',
        frames=[0, 2, 4],
        progress=False)
    assert _masks(open(masks, 'rb').read()) == {
        i: m.astype(bool).tolist()
        for i, m in zip(expected.frame_indices, expected.masks)
    }
    assert _frame_count(video) == 3
    assert len(gallery) == 3
    # both encoders at each CMAM stage, then LGFS
    captions = [c for _, c in pictures]
    assert 'spatial encoder, CMAM stage 3' in captions
    assert 'temporal encoder, CMAM stage 3' in captions
    assert captions[-1].startswith('LGFS')
    assert table['frame'] == 2 and set(
        table['word_weights']) == {'spatial', 'temporal'}


def test_runs_are_queued_one_at_a_time():
    pytest.importorskip(
        'gradio', reason='the page needs gradio (the demo '
        'extra)')
    model = web_demo.DemoModel.__new__(web_demo.DemoModel)
    model.model, model.error, model.description = None, 'no model', ''
    args = web_demo.parse_args([])
    page = web_demo.build_page(web_demo.WebDemo(args, model, []))
    (run, ) = [f for f in page.fns.values() if f.name == 'run']
    assert run.concurrency_limit == 1
    assert page._queue.max_size == args.max_queue


def test_missing_model_says_how_to_make_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no checkpoints/ here
    model = web_demo.DemoModel(None, 'no-such-model', 'cpu')
    assert model.model is None and '--config is needed' in model.error
    model = web_demo.DemoModel(None, web_demo.DEFAULT_MODEL, 'cpu')
    if model.model is None:  # unless the main job ran in this checkout
        assert 'python tools/run_synthetic_benchmark.py' in model.error
        assert 'csted_r50_i3d_a2d_cstm.py' in model.error
        demo = web_demo.WebDemo(_Args(), model, [])
        assert _run(demo)[0] == model.error


# ---------------------------------------------------------------- browser
def _masks(data: bytes) -> dict:
    """{frame index: bool mask as nested lists} of a mask zip."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in sorted(z.namelist()):
            png = np.frombuffer(z.read(name), np.uint8)
            mask = cv2.imdecode(png, cv2.IMREAD_GRAYSCALE)
            out[int(osp.splitext(name)[0])] = (mask > 0).tolist()
    return out


def _frame_count(path: str) -> int:
    cap = cv2.VideoCapture(path)
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def server(tmp_path_factory, tiny_checkpoint):
    """(URL, examples dir) of demo/web_demo.py serving the tiny model."""
    _require_browser_stack()
    examples = str(tmp_path_factory.mktemp('web_demo_examples'))
    port = _free_port()
    env = dict(
        os.environ,
        PYTHONPATH=REPO_ROOT,
        OMP_NUM_THREADS='1',
        GRADIO_TEMP_DIR=str(tmp_path_factory.mktemp('gradio')))
    log = open(tmp_path_factory.mktemp('log') / 'server.log', 'w+')
    proc = subprocess.Popen([
        sys.executable, 'demo/web_demo.py', '--config', TINY_SYNTHETIC_CONFIG,
        '--checkpoint', tiny_checkpoint, '--port',
        str(port), '--examples-dir', examples, '--batch-size', '4'
    ],
                            cwd=REPO_ROOT,
                            env=env,
                            stdout=log,
                            stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}/'
    deadline = time.time() + 300
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                log.seek(0)
                pytest.fail('the web demo did not start:\n' +
                            log.read()[-3000:])
            time.sleep(1)
    yield url, examples
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope='module')
def browser():
    _require_browser_stack()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage',
                '--disable-gpu', '--window-size=1280,1700'):
        options.add_argument(arg)
    driver = webdriver.Chrome(
        service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _wait(driver, condition, timeout=300):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout, poll_frequency=0.5).until(condition)


def _css(driver, selector):
    from selenium.webdriver.common.by import By
    return driver.find_elements(By.CSS_SELECTOR, selector)


def _open_page(driver, url):
    driver.get(url)
    _wait(driver, lambda d: _css(d, '#example label'), timeout=120)


def _pick(driver, text: str) -> str:
    """Click the example whose label holds ``text``; its label."""
    (label, ) = [e for e in _css(driver, '#example label') if text in e.text]
    label.click()
    return label.text


def _type_query(driver, query: str) -> None:
    from selenium.webdriver.common.keys import Keys
    box = _css(driver, '#query textarea, #query input')[0]
    time.sleep(0.5)  # the example's own query arrives first
    box.send_keys(Keys.CONTROL, 'a')
    box.send_keys(Keys.BACKSPACE)
    if query:
        box.send_keys(query)


def _status(driver, words=('Segmented', 'Error')) -> str:

    def done(d):
        text = ' '.join(e.text for e in _css(d, '#status'))
        return text if any(w in text for w in words) else False

    return _wait(driver, done)


def _screenshot(driver, name: str) -> None:
    if SCREENSHOTS:
        path = osp.join(REPO_ROOT, 'docs', 'images', f'web_demo_{name}.png')
        os.makedirs(osp.dirname(path), exist_ok=True)
        driver.save_screenshot(path)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read()


@needs_browser
def test_twin_example_in_the_browser(server, browser, tmp_path,
                                     tiny_checkpoint):
    from mmcsted.apis import inference_video, init_model
    url, examples_dir = server
    _open_page(browser, url)
    (twin, ) = [e for e in web_demo.prepare_examples(examples_dir) if e.twin]
    assert 'twin actors' in _pick(browser, 'twin actors')
    _type_query(browser, twin.query)
    _screenshot(browser, 'before')
    _css(browser, '#run')[0].click()
    status = _status(browser)
    assert status.startswith('Segmented 24 frames'), status
    # the overlay video and the mask zip arrive, served by the page
    video_src = _wait(
        browser, lambda d: [
            e.get_attribute('src') for e in _css(d, '#out_video video')
            if e.get_attribute('src')
        ])[0]
    video = tmp_path / 'segmented.mp4'
    video.write_bytes(_get(video_src))
    assert _frame_count(str(video)) == 24
    links = [
        e.get_attribute('href') for e in _css(browser, '#masks a')
        if (e.get_attribute('href') or '').endswith('.zip')
    ]
    assert links, 'no mask download link'
    masks = _masks(_get(links[0]))
    # the masks of inference_video on the same input
    model = init_model(TINY_SYNTHETIC_CONFIG, tiny_checkpoint)
    expected = inference_video(model, twin.video, twin.query, progress=False)
    assert masks == {
        i: m.astype(bool).tolist()
        for i, m in zip(expected.frame_indices, expected.masks)
    }
    _wait(browser, lambda d: len(_css(d, '#attention img')) >= 3)
    _screenshot(browser, 'after')
    # offline: the page itself requested nothing from another host
    origin = url.rstrip('/')
    resources = browser.execute_script(
        'return performance.getEntriesByType("resource")'
        '.map(e => e.name)')
    assert resources
    outside = [
        r for r in resources if not r.startswith((origin, 'data:', 'blob:'))
    ]
    assert not outside, outside


@needs_browser
def test_empty_query_shows_the_page_error(server, browser):
    url, _ = server
    _open_page(browser, url)
    _pick(browser, 'twin actors')
    _type_query(browser, '')
    _css(browser, '#run')[0].click()
    status = _status(browser)
    assert 'Error' in status and 'empty query' in status, status
