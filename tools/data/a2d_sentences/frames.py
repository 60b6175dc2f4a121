"""Extracting the A2D clips to JPEG frames (``<vid>/<frame:05d>.jpg``,
1-based), resumable video by video (``extract_frames.py``, ``prepare.py
--extract-frames``)."""
import os
import os.path as osp
from typing import List, Optional, Sequence

from mmcsted.datasets.a2d import CLIP_DIR, FRAME_TMPL, resolve_frame_root


class _FrameWriteError(OSError):
    pass


FRAME_BACKENDS = ('decord', 'opencv')


def _jpeg_writer(tmp: str, jpeg_quality: Optional[int]):
    """``write_bgr(i, bgr)`` writing ``tmp/<i:05d>.jpg``."""
    import cv2
    params = ([] if jpeg_quality is None else [
        cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)
    ])

    def write_bgr(i, bgr):
        if not cv2.imwrite(osp.join(tmp, FRAME_TMPL.format(i)), bgr, params):
            raise _FrameWriteError(f'cannot write frames into {tmp}')

    return write_bgr


def _write_frames_opencv(video_path: str, write_bgr) -> int:
    """``cv2.VideoCapture`` frame by frame, each BGR frame written as it
    comes (the authors' ``frames_cv2`` layout)."""
    import cv2
    if not osp.isfile(video_path):
        raise FileNotFoundError(f'video not found: {video_path}')
    cap = cv2.VideoCapture(video_path)
    try:
        if not cap.isOpened():
            raise ValueError(f'OpenCV cannot open {video_path}')
        n = 0
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            n += 1
            write_bgr(n, bgr)
    finally:
        cap.release()
    return n


def _write_frames_decord(video_path: str, write_bgr) -> int:
    """decord, PyAV where it fails (:mod:`mmcsted.utils.video_io`)."""
    import cv2

    from mmcsted.utils.video_io import open_video_file
    n = 0
    with open_video_file(
            video_path, ('decord', 'pyav'), probe=False) as reader:
        for i, rgb in reader.iter_frames(range(reader.num_frames)):
            write_bgr(i + 1, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
            n += 1
    return n


def extract_video_frames(video_path: str,
                         out_dir: str,
                         jpeg_quality: Optional[int] = 95,
                         backend: str = 'decord') -> int:
    """Decode an mp4 into ``out_dir/<frame:05d>.jpg`` (1-based).

    ``backend='decord'`` (default): decord, PyAV where decord fails (the
    video layer :func:`~mmcsted.utils.video_io.open_video_file`).
    ``backend='opencv'``: ``cv2.VideoCapture`` frame by frame, each BGR frame
    written as it comes with ``cv2.imwrite`` (the authors' ``frames_cv2``
    layout). ``jpeg_quality=None`` uses OpenCV's default JPEG settings
    (quality 95); with a number, ``IMWRITE_JPEG_QUALITY`` is passed.

    Frames go to a temporary sibling folder that is renamed at the end, so
    ``out_dir`` exists only when complete (an interrupted run is redone, a
    finished one skipped). Returns the number of frames written (0 if
    ``out_dir`` already existed).
    """
    import shutil
    if backend not in FRAME_BACKENDS:
        raise ValueError(f'backend must be one of {FRAME_BACKENDS}, got '
                         f'{backend!r}')
    if osp.isdir(out_dir):
        return 0
    parent = osp.dirname(osp.abspath(out_dir))
    os.makedirs(parent, exist_ok=True)
    tmp = osp.join(parent, f'.tmp_{osp.basename(out_dir)}')
    if osp.isdir(tmp):
        shutil.rmtree(tmp)
    os.makedirs(tmp)
    write_frames = (
        _write_frames_opencv if backend == 'opencv' else _write_frames_decord)
    try:
        n = write_frames(video_path, _jpeg_writer(tmp, jpeg_quality))
        if n == 0:
            raise ValueError(f'{video_path}: no frame decoded')
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return n


def _extract_job(job):
    vid, path, out_dir, quality, backend = job
    try:
        return vid, extract_video_frames(
            path, out_dir, quality, backend=backend), None
    except Exception as e:
        return vid, 0, f'{type(e).__name__}: {e}'


def extract_a2d_frames(data_root: str,
                       vids: Sequence[str],
                       frame_root: Optional[str] = None,
                       jpeg_quality: Optional[int] = 95,
                       backend: str = 'decord',
                       workers: int = 1,
                       progress: bool = True,
                       log=print) -> List[str]:
    """Extract ``Release/clips320H/<vid>.mp4`` of ``vids`` to
    ``<frame_root>/<vid>/<frame:05d>.jpg`` (``frame_root`` as in
    :func:`resolve_frame_root`) with :func:`extract_video_frames`; videos
    whose folder exists are skipped (resumable). Returns the failures as
    ``'<vid>: <reason>'`` (a missing mp4 is one)."""
    out_root = resolve_frame_root(data_root, frame_root)
    jobs, done, failed = [], 0, []
    for vid in vids:
        out_dir = osp.join(out_root, vid)
        mp4 = osp.join(data_root, CLIP_DIR, f'{vid}.mp4')
        if osp.isdir(out_dir):
            done += 1
        elif osp.isfile(mp4):
            jobs.append((vid, mp4, out_dir, jpeg_quality, backend))
        else:
            failed.append(f'{vid}: {mp4} not found')
    log(f'frames: {done} videos already extracted, {len(jobs)} to do')
    from tqdm import tqdm
    bar = dict(
        total=len(jobs),
        desc='extracting frames',
        unit='video',
        disable=not progress)
    if workers > 1 and len(jobs) > 1:
        from multiprocessing import Pool
        with Pool(workers) as pool:
            for vid, _, err in tqdm(
                    pool.imap_unordered(_extract_job, jobs), **bar):
                if err:
                    failed.append(f'{vid}: {err}')
    else:
        for job in tqdm(jobs, **bar):
            vid, _, err = _extract_job(job)
            if err:
                failed.append(f'{vid}: {err}')
    if failed:
        log(f'frames: {len(failed)} videos failed: {failed[:10]}')
    return failed
