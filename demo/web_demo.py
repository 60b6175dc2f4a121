"""Segment the actor a sentence names, in the browser (Gradio).

    pip install -e ".[demo]"
    python demo/web_demo.py [--config C --checkpoint K] [--port 7860]

Serves on http://127.0.0.1:7860 (``--host 0.0.0.0`` to share it on the
network). The default model is the main job's published checkpoint
(``tools/run_synthetic_benchmark.py`` writes it); when it is missing the page
says how to make it or which other model to give. The page calls the same
inference (:func:`mmcsted.apis.iter_inference`, the frames of
:func:`mmcsted.apis.inference_video`) and drawing code
(:mod:`mmcsted.visualization`) as ``demo/demo.py`` and
``tools/analysis_tools/visualize_attention.py``, so its masks and pictures
are theirs. Nothing is fetched from outside (no analytics, fonts or assets);
runs are queued one at a time (``--concurrency``).
"""
import argparse
import importlib.util
import os
import os.path as osp
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from typing import Dict, List, Optional

# Gradio reads this at import: no usage reports, no version check online.
os.environ['GRADIO_ANALYTICS_ENABLED'] = 'False'

DEMO_DIR = osp.dirname(osp.abspath(__file__))
REPO_ROOT = osp.dirname(DEMO_DIR)
# the main job's zoo entry (configs/csted/metafile.yml)
DEFAULT_MODEL = 'csted_tiny_quick-pretrained_frozen-3d_synthetic'
VIDEO_EXTENSIONS = ('.mp4', '.webm', '.avi', '.gif')
FRAME_MODES = ('all', 'every n-th', 'list')
GALLERY_FRAMES = 6
# The bundled examples: a few test-split videos of a small synthetic tree,
# written once by the project's generator (one twin pair among them).
EXAMPLE_GENERATOR_ARGS = ('--num-videos', '8', '--seed', '2024', '--twin-prob',
                          '0.5', '--test-ratio', '1.0', '--num-missed', '0',
                          '--no-copy-quirk')


class InputError(ValueError):
    """Bad input: shown in the page as it is."""


# (long: one add_argument per option, nothing else)
def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='CSTED web demo: segment the actor a sentence names')
    p.add_argument(
        '--config',
        default=None,
        help='config file or zoo name (default: the checkpoint\'s zoo entry)')
    p.add_argument(
        '--checkpoint',
        default=DEFAULT_MODEL,
        help='path, URL or model-zoo name (default: the main job\'s '
        f'{DEFAULT_MODEL})')
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=7860)
    p.add_argument('--device', default='cpu')
    p.add_argument('--batch-size', type=int, default=4)
    p.add_argument(
        '--max-frames',
        type=int,
        default=300,
        help='most frames segmented in one run')
    p.add_argument(
        '--max-video-frames',
        type=int,
        default=3000,
        help='longest video read (frames)')
    p.add_argument(
        '--max-upload-mb',
        type=float,
        default=100.,
        help='largest upload (a video, or a zip of frames unpacked)')
    p.add_argument(
        '--max-side',
        type=int,
        default=1920,
        help='largest frame width or height')
    p.add_argument(
        '--concurrency',
        type=int,
        default=1,
        help='runs at the same time; the others wait in the queue')
    p.add_argument('--max-queue', type=int, default=20)
    p.add_argument(
        '--examples-dir',
        default=osp.join(
            osp.expanduser('~'), '.cache', 'mmcsted', 'web_demo_examples'),
        help='where the bundled synthetic examples are written once')
    args = p.parse_args(argv)
    for name in ('batch_size', 'max_frames', 'max_video_frames', 'max_side',
                 'concurrency', 'max_queue'):
        if getattr(args, name) < 1:
            p.error(f'--{name.replace("_", "-")} must be at least 1')
    return args


# ---------------------------------------------------------------- examples
@dataclass
class Example:
    name: str
    video: str
    query: str
    twin: bool


def prepare_examples(examples_dir: str) -> List[Example]:
    """The bundled examples: the first twin query and two other queries of a
    small synthetic tree, written by ``tools/data/synthetic/generate.py``
    the first time."""
    meta_file = osp.join(examples_dir, 'generator_meta.json')
    if not osp.isfile(meta_file):
        cmd = [
            sys.executable,
            osp.join(REPO_ROOT, 'tools', 'data', 'synthetic', 'generate.py'),
            examples_dir, '--overwrite', *EXAMPLE_GENERATOR_ARGS
        ]
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(
            [REPO_ROOT] + [p for p in [env.get('PYTHONPATH')] if p])
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise RuntimeError('writing the synthetic examples failed: ' +
                               proc.stderr[-2000:])
    import json
    with open(meta_file, encoding='utf-8') as f:
        queries = json.load(f)['queries']
    picked, videos = [], set()
    for twin, count in ((True, 1), (False, 2)):  # one query per video
        for q in queries:
            if count and q['twin'] == twin and q['video_id'] not in videos:
                picked.append(q)
                videos.add(q['video_id'])
                count -= 1
    examples = []
    for q in picked:
        kind = 'twin actors' if q['twin'] else 'synthetic'
        video = osp.join(examples_dir, 'Release', 'clips320H',
                         f'{q["video_id"]}.mp4')
        examples.append(
            Example(f'{kind}: "{q["query"]}" ({q["video_id"]})', video,
                    q['query'], bool(q['twin'])))
    if not any(e.twin for e in examples):
        raise RuntimeError(f'{examples_dir} holds no twin query')
    return examples


# ------------------------------------------------------------------ model
def missing_model_message(checkpoint: str, reason: str) -> str:
    return (f'**No model loaded** ({reason}).\n\n'
            f'* The default model is the main job\'s checkpoint: make it with '
            '`python tools/run_synthetic_benchmark.py` (about 15 min on 2 CPU '
            f'cores; it writes `checkpoints/{DEFAULT_MODEL}.pth`) and restart '
            'this page.\n'
            '* Or give another model: the authors\' converted checkpoint with '
            'the A2D config (`python demo/web_demo.py --config '
            'configs/csted/csted_r50_i3d_a2d_cstm.py --checkpoint '
            'checkpoints/csted_r50_i3d_cstm.pth`, see '
            'tools/model_converters/cstm_to_mmcsted.py), another '
            'model-zoo entry, or any local checkpoint with its config '
            f'(`--config C --checkpoint K`; asked for: `{checkpoint}`).')


class DemoModel:
    """The model, or why there is none; one run at a time on it."""

    def __init__(self, config: Optional[str], checkpoint: str, device: str):
        self.model, self.error, self.description = None, None, ''
        self.lock = threading.Lock()
        from mmcsted.apis import init_model, load_metafile
        if config is None:
            if checkpoint not in load_metafile():
                self.error = missing_model_message(
                    checkpoint, f'{checkpoint} is not a model-zoo name, so '
                    '--config is needed')
                return
            config = checkpoint
        try:
            self.model = init_model(config, checkpoint, device=device)
        except FileNotFoundError as e:
            self.error = missing_model_message(checkpoint, str(e))
            return
        self.description = (f'Model: `{config}`, weights `{checkpoint}` '
                            f'on {device}.')


# ------------------------------------------------------------------ input
def _megabytes(n: float) -> str:
    return f'{n / 2**20:.1f} MB'


def unpack_frames(paths: List[str], out_dir: str, max_bytes: float) -> str:
    """Copy the frame images among ``paths`` (a zip's members or an uploaded
    folder's files) into ``out_dir``; returns it. Checks their number and
    total size, and that every frame has the same size."""
    from PIL import Image

    from mmcsted.utils.video_io import IMAGE_EXTENSIONS
    os.makedirs(out_dir, exist_ok=True)
    names = []
    for path in paths:
        name = osp.basename(path)
        if not name.lower().endswith(IMAGE_EXTENSIONS):
            continue
        if name in names:
            raise InputError(f'two frames are named {name}: give each frame '
                             'a name of its own')
        names.append(name)
        shutil.copyfile(path, osp.join(out_dir, name))
    if not names:
        raise InputError('no frame images (' + ', '.join(IMAGE_EXTENSIONS) +
                         ') among the uploaded files')
    if sum(osp.getsize(osp.join(out_dir, n)) for n in names) > max_bytes:
        raise InputError(f'the frames are larger than the limit of '
                         f'{_megabytes(max_bytes)} (--max-upload-mb)')
    sizes = {}
    for name in sorted(names):
        try:
            with Image.open(osp.join(out_dir, name)) as im:
                sizes.setdefault(im.size, name)
        except Exception:
            raise InputError(f'{name} is not an image that can be read')
    if len(sizes) > 1:
        listed = '; '.join(f'{w} x {h} ({n})'
                           for (w, h), n in list(sizes.items())[:3])
        raise InputError('the frames have different sizes: ' + listed +
                         '. Give frames of one size.')
    return out_dir


def unzip_frames(path: str, out_dir: str, max_bytes: float) -> str:
    try:
        with zipfile.ZipFile(path) as z:
            members = [m for m in z.infolist() if not m.is_dir()]
            if sum(m.file_size for m in members) > max_bytes:
                raise InputError('the zip unpacks to more than the limit of '
                                 f'{_megabytes(max_bytes)} (--max-upload-mb)')
            raw = osp.join(out_dir, 'zip')
            paths = []
            for i, m in enumerate(members):
                # flat, under our own names: no path from the zip is trusted
                dst = osp.join(raw, str(i))
                os.makedirs(dst, exist_ok=True)
                dst = osp.join(dst, osp.basename(m.filename))
                with z.open(m) as src, open(dst, 'wb') as f:
                    shutil.copyfileobj(src, f)
                paths.append(dst)
    except zipfile.BadZipFile:
        raise InputError(f'{osp.basename(path)} is not a readable zip file')
    return unpack_frames(paths, osp.join(out_dir, 'frames'), max_bytes)


def resolve_video(upload: Optional[str], folder: Optional[List[str]],
                  example: Optional[Example], work_dir: str,
                  max_bytes: float) -> str:
    """The video to segment: an uploaded file (video or zip of frames), an
    uploaded folder of frames, else the picked example."""
    if upload:
        name = osp.basename(upload)
        ext = osp.splitext(name)[1].lower()
        if osp.getsize(upload) > max_bytes:
            raise InputError(f'{name} is {_megabytes(osp.getsize(upload))}, '
                             f'more than the limit of {_megabytes(max_bytes)}'
                             ' (--max-upload-mb)')
        if ext == '.zip':
            return unzip_frames(upload, work_dir, max_bytes)
        if ext not in VIDEO_EXTENSIONS:
            raise InputError(f'{name} is not a video: give ' +
                             ', '.join(VIDEO_EXTENSIONS) +
                             ', a zip of frames or a folder')
        return upload
    if folder:
        return unpack_frames(folder, osp.join(work_dir, 'frames'), max_bytes)
    if example is not None:
        return example.video
    raise InputError('pick an example, or upload a video, a zip of frames '
                     'or a folder of frames')


def probe_video(video: str, max_video_frames: int, max_side: int):
    """(number of frames, (H, W)) of a readable video within the limits."""
    from mmcsted.utils.video_io import VideoReadError, open_video
    name = osp.basename(video.rstrip('/'))
    try:
        with open_video(video) as reader:
            num_frames = reader.num_frames
            shape = reader.frame_shape or reader.read(0).shape[:2]
    except (VideoReadError, ValueError, OSError) as e:
        raise InputError(f'{name} cannot be read as a video ({e})')
    if num_frames > max_video_frames:
        raise InputError(f'the video is too long: {num_frames} frames, the '
                         f'limit is {max_video_frames} (--max-video-frames)')
    if max(shape) > max_side:
        raise InputError(f'the frames are too large: {shape[1]} x '
                         f'{shape[0]}, the limit is {max_side} pixels a side '
                         '(--max-side)')
    return num_frames, tuple(shape)


def select_frames(mode: str, every: Optional[float], listed: str,
                  num_frames: int, max_frames: int) -> List[int]:
    """0-based frames to segment: all, every n-th or a list in demo.py's
    ``--frames`` syntax (``0 10-20 40:80:4``)."""
    if mode == 'every n-th':
        if every is None or int(every) < 1:
            raise InputError('"every n-th" needs n >= 1')
        frames = list(range(0, num_frames, int(every)))
    elif mode == 'list':
        from demo.demo import parse_frames
        try:
            frames = parse_frames(str(listed or '').split())
        except ValueError as e:
            raise InputError(str(e))
        if not frames:
            raise InputError('the frame list is empty: give e.g. 0 10-20')
        bad = [f for f in frames if not 0 <= f < num_frames]
        if bad:
            raise InputError(f'frame(s) {bad[:5]} outside the video: it has '
                             f'{num_frames} frames, 0..{num_frames - 1}')
        frames = sorted(set(frames))
    else:
        frames = list(range(num_frames))
    if len(frames) > max_frames:
        raise InputError(f'{len(frames)} frames to segment, the limit is '
                         f'{max_frames} (--max-frames): pick every n-th '
                         'frame or a list')
    return frames


# -------------------------------------------------------------------- run
def prune_runs(root: str, max_age_s: float = 3600.) -> None:
    """Drop the outputs of runs older than an hour (Gradio has served them
    from its own cache since)."""
    now = time.time()
    for name in os.listdir(root) if osp.isdir(root) else []:
        path = osp.join(root, name)
        if osp.isdir(path) and now - osp.getmtime(path) > max_age_s:
            shutil.rmtree(path, ignore_errors=True)


def segment_video(model,
                  video: str,
                  query: str,
                  frames: List[int],
                  out_dir: str,
                  batch_size: int,
                  progress=None) -> Dict:
    """Masks of ``frames`` (:func:`mmcsted.apis.iter_inference`), written as
    the overlay video (demo.py's writer and drawing), a zip of per-frame
    mask PNGs (0/255, ``{frame:05d}.png``) and a few gallery frames."""
    import cv2
    import numpy as np

    from demo.video_writer import OverlayWriter, source_fps
    from mmcsted.apis import iter_inference
    from mmcsted.visualization import overlay_query_mask
    os.makedirs(out_dir, exist_ok=True)
    video_file = osp.join(out_dir, 'segmented.mp4')
    zip_file = osp.join(out_dir, 'masks.zip')
    writer = OverlayWriter(video_file, None, source_fps(video))
    picks = {
        frames[int(i)]
        for i in np.linspace(0,
                             len(frames) - 1, min(GALLERY_FRAMES, len(frames)))
    }
    gallery, done, complete = [], 0, False
    try:
        with zipfile.ZipFile(zip_file, 'w') as z:
            for r in iter_inference(
                    model,
                    video,
                    query,
                    frames=frames,
                    batch_size=batch_size,
                    progress=False,
                    return_frames=True,
                    return_scores=False):
                drawn = overlay_query_mask(
                    r['frame'], r['mask'], query, min_size=320)
                writer.write(drawn, r['frame_index'])
                _, png = cv2.imencode('.png', r['mask'].astype(np.uint8) * 255)
                z.writestr(f'{r["frame_index"]:05d}.png', png.tobytes())
                if r['frame_index'] in picks:
                    gallery.append((drawn, f'frame {r["frame_index"]}'))
                done += 1
                if progress is not None:
                    progress((done, len(frames)),
                             desc='segmenting',
                             unit='frames')
        complete = True
    finally:
        writer.close(complete)
    return dict(
        video=video_file,
        masks=zip_file,
        gallery=gallery,
        codec=writer.codec,
        frames=done)


def attention_pictures(model, video: str, query: str, frame: int,
                       out_dir: str):
    """CMAM word attention of both encoders at every CMAM stage and the LGFS
    selection for one frame, drawn by tools/analysis_tools/attention_figures.py
    as visualize_attention.py draws them; ([(png, caption)], table)."""
    from tools.analysis_tools.attention_figures import (lgfs_table,
                                                        save_attention_figures,
                                                        word_weight_table)
    from tools.analysis_tools.attention_recording import (load_clip,
                                                          run_with_recording)
    item = load_clip(model, video, frame)
    result = run_with_recording(model, item.clip, query, None, item.img_shape,
                                item.ori_shape)
    encoders = [n for n in ('spatial', 'temporal') if result[n]]
    stages = sorted(
        set.intersection(*[set(result[n])
                           for n in encoders]) if encoders else [])
    pictures = []
    for stage in stages or [0]:
        written = save_attention_figures(result, item.frame, out_dir, stage)
        for name in encoders:
            pictures.append((written[f'{name}_attention'],
                             f'{name} encoder, CMAM stage {stage}'))
    if 'lgfs_plot' in written:
        pictures.append((written['lgfs_plot'], 'LGFS: spatial vs temporal'))
    table = dict(frame=frame, word_weights=word_weight_table(result))
    if result['lgfs']:
        table['lgfs'] = lgfs_table(result)
    return pictures, table


class WebDemo:
    """What the page's button runs."""

    def __init__(self, args, model: DemoModel, examples: List[Example]):
        self.args, self.model = args, model
        self.examples = {e.name: e for e in examples}
        self.runs_dir = tempfile.mkdtemp(prefix='mmcsted_web_demo_')

    def run(self,
            example_name,
            upload,
            folder,
            query,
            frame_mode,
            every,
            frame_list,
            threshold,
            attention_frame,
            progress=None):
        """(status, video, gallery, masks zip, attention pictures, word
        weights); bad input and failures become the status, in the page."""
        empty = (None, [], None, [], None)
        if self.model.model is None:
            return (self.model.error, ) + empty
        try:
            return self._run(example_name, upload, folder, query, frame_mode,
                             every, frame_list, threshold, attention_frame,
                             progress)
        except InputError as e:
            return (f'**Error:** {e}', ) + empty
        except Exception as e:  # never a traceback in the page
            return (f'**Error:** the run failed: {type(e).__name__}: {e}',
                    ) + empty

    def _run(self, example_name, upload, folder, query, frame_mode, every,
             frame_list, threshold, attention_frame, progress):
        from mmcsted.apis.inference import check_query
        args = self.args
        query = (query or '').strip()
        try:
            check_query(query)
        except ValueError as e:
            raise InputError(str(e))
        prune_runs(self.runs_dir)
        out_dir = tempfile.mkdtemp(dir=self.runs_dir)
        max_bytes = args.max_upload_mb * 2**20
        video = resolve_video(upload, folder, self.examples.get(example_name),
                              out_dir, max_bytes)
        num_frames, _ = probe_video(video, args.max_video_frames,
                                    args.max_side)
        frames = select_frames(frame_mode, every, frame_list, num_frames,
                               args.max_frames)
        if attention_frame is None or attention_frame < 0:
            attention_frame = frames[len(frames) // 2]
        attention_frame = int(attention_frame)
        if not 0 <= attention_frame < num_frames:
            raise InputError(f'attention frame {attention_frame} is outside '
                             f'the video (0..{num_frames - 1})')
        model = self.model.model
        with self.model.lock:  # the threshold is the model's own setting
            saved = dict(model.test_cfg)
            model.test_cfg['threshold'] = float(threshold)
            try:
                out = segment_video(model, video, query, frames,
                                    osp.join(out_dir, 'out'), args.batch_size,
                                    progress)
                pictures, table = attention_pictures(
                    model, video, query, attention_frame,
                    osp.join(out_dir, 'attention'))
            finally:
                model.test_cfg.clear()
                model.test_cfg.update(saved)
        status = (f'Segmented {out["frames"]} frames of '
                  f'{osp.basename(video.rstrip("/"))} for "{query}" '
                  f'(threshold {float(threshold):.2f}; video '
                  f'{out["codec"]}); attention at frame {attention_frame}.')
        return (status, out['video'], out['gallery'], out['masks'], pictures,
                table)


# ------------------------------------------------------------------- page
def build_page(demo: WebDemo):
    import gradio as gr

    def run(example,
            upload,
            folder,
            query,
            frame_mode,
            every,
            frame_list,
            threshold,
            attention_frame,
            progress=gr.Progress()):
        return demo.run(example, upload, folder, query, frame_mode, every,
                        frame_list, threshold, attention_frame, progress)

    names = list(demo.examples)
    with gr.Blocks(
            title='mmcsted: CSTED web demo', analytics_enabled=False) as page:
        gr.Markdown('# CSTED: segment the actor a sentence names\n'
                    'Give a video and an English query; the model masks that '
                    'actor in every chosen frame and shows which words each '
                    'encoder weighed (CMAM) and how the decoder mixed '
                    'spatial and temporal features (LGFS).')
        gr.Markdown(
            demo.model.error or demo.model.description, elem_id='model_info')
        with gr.Row():
            with gr.Column():
                example = gr.Radio(
                    names,
                    label='Bundled synthetic example (twin actors: only the '
                    'motion tells them apart)',
                    elem_id='example')
                upload = gr.File(
                    label='...or your video (' + ', '.join(VIDEO_EXTENSIONS) +
                    ') or a zip of frames',
                    file_types=list(VIDEO_EXTENSIONS) + ['.zip'],
                    elem_id='upload')
                folder = gr.File(
                    label='...or a folder of frames',
                    file_count='directory',
                    elem_id='folder')
                query = gr.Textbox(
                    label='Query (English)',
                    placeholder='the red circle is jumping',
                    elem_id='query')
                with gr.Row():
                    frame_mode = gr.Radio(
                        list(FRAME_MODES), value='all', label='Frames')
                    every = gr.Number(value=2, precision=0, label='n')
                    frame_list = gr.Textbox(
                        label='list (0-based)', placeholder='0 5-9 12:24:4')
                threshold = gr.Slider(
                    0.05, 0.95, value=0.5, step=0.05, label='Mask threshold')
                attention_frame = gr.Number(
                    value=-1,
                    precision=0,
                    label='Attention frame (0-based; -1: the middle one of '
                    'those segmented)')
                button = gr.Button('Segment', variant='primary', elem_id='run')
            with gr.Column():
                status = gr.Markdown(elem_id='status')
                video_out = gr.Video(
                    label='Mask overlaid, query captioned',
                    elem_id='out_video')
                gallery = gr.Gallery(
                    label='A few frames',
                    columns=3,
                    object_fit='contain',
                    elem_id='gallery')
                masks = gr.File(
                    label='Masks, one PNG per frame (zip)', elem_id='masks')
                attention = gr.Gallery(
                    label='Attention: CMAM word weights per stage, LGFS',
                    columns=1,
                    object_fit='contain',
                    elem_id='attention')
                table = gr.JSON(label='Word weights and LGFS shares')
        example.change(
            lambda name: demo.examples[name].query
            if name else gr.update(), example, query)
        button.click(
            run, [
                example, upload, folder, query, frame_mode, every, frame_list,
                threshold, attention_frame
            ], [status, video_out, gallery, masks, attention, table],
            concurrency_limit=demo.args.concurrency)
    # two users at once: the second run waits for the first
    page.queue(
        default_concurrency_limit=demo.args.concurrency,
        max_size=demo.args.max_queue)
    return page


def main(argv=None) -> int:
    args = parse_args(argv)
    if importlib.util.find_spec('gradio') is None:
        print(
            'the web demo needs Gradio: pip install -e ".[demo]"',
            file=sys.stderr)
        return 1
    model = DemoModel(args.config, args.checkpoint, args.device)
    if model.error:
        print(model.error.replace('**', ''), file=sys.stderr)
    examples = prepare_examples(args.examples_dir)
    page = build_page(WebDemo(args, model, examples))
    print(f'serving on http://{args.host}:{args.port}', flush=True)
    page.launch(
        server_name=args.host,
        server_port=args.port,
        max_file_size=int(args.max_upload_mb * 2**20),
        show_error=False,
        inbrowser=False,
        share=False)
    return 0


if __name__ == '__main__':
    # first, before demo/ (the script's folder): `demo` is then this
    # folder's package (demo.video_writer), not demo.py
    sys.path.insert(0, REPO_ROOT)
    sys.exit(main())
