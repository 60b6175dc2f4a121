"""What is missing or malformed in a user's A2D Sentences / J-HMDB Sentences
tree (used by ``tools/data/*/check_tree.py`` and ``prepare.py``)."""
import argparse
import os
import os.path as osp
from typing import List, Optional

from mmcsted.datasets import a2d
from mmcsted.datasets import jhmdb_sentences as jhmdb
from mmcsted.datasets.utils import limited_list
from mmcsted.text import has_words

A2D_EXPECTED_VIDEOS = 3782
A2D_EXPECTED_ANNOTATIONS = 6655
JHMDB_EXPECTED_ANNOTATIONS = 928
#: written by the synthetic generator beside the A2D-layout tree
SYNTHETIC_META_FILE = 'generator_meta.json'


class CheckReport:
    """Errors (something required is missing/malformed), warnings and notes."""

    def __init__(self, name: str, limit: int = 10):
        self.name = name
        self.limit = limit
        self.errors: List[str] = []
        self.warnings: List[str] = []
        self.notes: List[str] = []

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, msg: str, items: Optional[list] = None) -> None:
        self.errors.append(self._fmt(msg, items))

    def warn(self, msg: str, items: Optional[list] = None) -> None:
        self.warnings.append(self._fmt(msg, items))

    def note(self, msg: str) -> None:
        self.notes.append(msg)

    def _fmt(self, msg, items):
        if items is None:
            return msg
        return f'{msg} ({len(items)}): {limited_list(items, self.limit)}'

    def render(self) -> str:
        lines = [f'== {self.name} ==']
        lines += [f'  {n}' for n in self.notes]
        lines += [f'  WARNING: {w}' for w in self.warnings]
        lines += [f'  MISSING/MALFORMED: {e}' for e in self.errors]
        lines.append('  result: ' +
                     ('OK' if self.ok else
                      f'{len(self.errors)} problem(s) with required files'))
        return '\n'.join(lines)


def tree_check_parser(doc: str,
                      data_root_help: str) -> argparse.ArgumentParser:
    """The arguments every ``tools/data/*/check_tree.py`` takes (the tree,
    ``--limit``); the tool adds its own. ``doc``: the tool's docstring."""
    p = argparse.ArgumentParser(description=doc.split('\n')[0])
    p.add_argument('data_root', help=data_root_help)
    p.add_argument(
        '--limit',
        type=int,
        default=10,
        help='names listed per kind of problem')
    return p


def print_report(report: CheckReport) -> int:
    """Print a check tool's report; its exit status (1: something required
    is missing or malformed)."""
    print(report.render())
    return 0 if report.ok else 1


def passes_check(report: CheckReport, force: bool) -> bool:
    """Print a prepare tool's check report; False (the tool stops with 1)
    on a problem unless ``force``."""
    print(report.render())
    if report.ok or force:
        return True
    print('stopping: fix the problems above or pass --force')
    return False


def check_a2d_tree(root: str,
                   video_source: str = 'auto',
                   deep: bool = False,
                   limit: int = 10,
                   cache_dir: Optional[str] = None,
                   progress: bool = True) -> CheckReport:
    """Check an A2D Sentences tree.

    Fast by default (file existence, CSV parsing, h5 counts per video);
    ``deep`` also reads every mask file to its end (every mask: the mask
    index reads headers only, and its cache answers for files it saw before),
    opens every video (the video layer, decord then PyAV), and brings the
    mask-index cache under ``cache_dir`` up to date for the datasets.
    """
    r = CheckReport(f'A2D Sentences at {root}', limit)
    _check_a2d_required(r, root)
    try:
        videos = a2d.read_videoset(osp.join(root, a2d.VIDEOSET_FILE))
        rows = a2d.read_a2d_annotations(osp.join(root, a2d.ANNOTATION_FILE))
        missed = a2d.read_missed_videos(osp.join(root, a2d.MISSED_FILE))
    except FileNotFoundError:
        return r
    except ValueError as e:
        r.error(str(e))
        return r
    _check_a2d_counts(r, videos, rows, missed)
    _check_a2d_rows(r, videos, rows)
    if osp.isfile(osp.join(root, SYNTHETIC_META_FILE)):
        _check_generator_meta(r, root, rows, missed)
    used = [
        v for v in dict.fromkeys(x.video_id for x in rows)
        if v in videos and v not in missed
    ]
    missing_videos = _check_a2d_files(r, root, videos, used, video_source)
    if deep:
        _check_a2d_deep(r, root, used, missing_videos, video_source, cache_dir,
                        progress)
    return r


def _check_a2d_required(r: CheckReport, root: str) -> None:
    """The list and annotation files, the mask folder and a video folder."""
    required = [(a2d.VIDEOSET_FILE, 'video list'),
                (a2d.ANNOTATION_FILE, 'sentence annotations'),
                (a2d.MISSED_FILE, 'missed-video list'),
                (a2d.MASK_DIR, 'mask folder')]
    for rel, what in required:
        if not osp.exists(osp.join(root, rel)):
            r.error(f'{what} not found: {osp.join(root, rel)}')
    if not (osp.isdir(osp.join(root, a2d.CLIP_DIR))
            or osp.isdir(osp.join(root, a2d.FRAME_DIR))):
        r.error(f'no video folder: neither {osp.join(root, a2d.CLIP_DIR)} '
                f'nor {osp.join(root, a2d.FRAME_DIR)}')


def _check_a2d_counts(r: CheckReport, videos, rows, missed) -> None:
    """Sizes of the three files against CSTM's; the subset column."""
    n_train = sum(v.subset == 0 for v in videos.values())
    n_test = sum(v.subset == 1 for v in videos.values())
    r.note(f'videoset.csv: {len(videos)} videos ({n_train} train, {n_test} '
           f'test); the A2D tree has {A2D_EXPECTED_VIDEOS}')
    r.note(f'a2d_annotation.txt: {len(rows)} rows; the tree has '
           f'{A2D_EXPECTED_ANNOTATIONS}')
    r.note(f'a2d_missed_videos.txt: {len(missed)} videos')
    if len(videos) != A2D_EXPECTED_VIDEOS:
        r.warn(f'videoset.csv lists {len(videos)} videos, not '
               f'{A2D_EXPECTED_VIDEOS} (fine for a synthetic or partial set)')
    if len(rows) != A2D_EXPECTED_ANNOTATIONS:
        r.warn(f'a2d_annotation.txt has {len(rows)} rows, not '
               f'{A2D_EXPECTED_ANNOTATIONS}')
    other = [s for s in {v.subset for v in videos.values()} if s not in (0, 1)]
    if other:
        r.error(f'videoset.csv subset column has values {other} '
                '(expected 0 = train, 1 = test)')


def _check_a2d_rows(r: CheckReport, videos, rows) -> None:
    """Annotation rows naming unknown videos, copies, malformed instance
    ids, empty queries."""
    unknown = sorted({x.video_id for x in rows if x.video_id not in videos})
    if unknown:
        r.warn('annotation rows name videos absent from videoset.csv', unknown)
    copies = [x for x in rows if '(copy)' in x.instance_id]
    if copies:
        r.note(f"{len(copies)} rows with instance id '1 (copy)' (dropped "
               'by default)')
    bad_ids = [
        f'line {x.line}: {x.instance_id!r}' for x in rows
        if a2d.parse_instance_id(x.instance_id)[0] is None
    ]
    if bad_ids:
        r.warn('rows with a malformed instance id', bad_ids)
    unbalanced = a2d.unbalanced_quote_rows(rows)
    if unbalanced:
        r.warn('queries with an odd number of quotes (kept as written)',
               unbalanced)
    empty = [f'line {x.line}' for x in rows if not has_words(x.query)]
    if empty:
        r.warn('rows with an empty query', empty)


def _check_a2d_files(r: CheckReport, root: str, videos, used: List[str],
                     video_source: str) -> List[str]:
    """Video and mask folder of each used video, and its number of .h5
    files; returns the missing videos (paths relative to ``root``)."""
    missing_videos, missing_masks, short_masks = [], [], []
    for vid in used:
        path, fdir = a2d.resolve_video_source(root, vid, video_source)
        if path is None and fdir is None:
            missing_videos.append(
                osp.join(a2d.FRAME_DIR, vid) if video_source ==
                'frames' else osp.join(a2d.CLIP_DIR, f'{vid}.mp4'))
        mdir = osp.join(root, a2d.MASK_DIR, vid)
        if not osp.isdir(mdir):
            missing_masks.append(osp.join(a2d.MASK_DIR, vid) + '/')
            continue
        n = sum(1 for f in os.listdir(mdir) if a2d.MASK_FILE_PATTERN.match(f))
        if n < videos[vid].annotated_frames:
            short_masks.append(
                f'{vid} ({n} of {videos[vid].annotated_frames} .h5 files)')
    r.note(f'{len(used)} videos have sentences')
    if missing_videos:
        r.error('videos missing', missing_videos)
    if missing_masks:
        r.error('mask folders missing', missing_masks)
    if short_masks:
        # A warning, not an error: the column counts the frames A2D labelled,
        # and a frame may lack a sentence-annotation file in a release
        # without anything being lost. The datasets count these too.
        r.warn(
            'mask files possibly missing (fewer .h5 files than '
            'videoset.csv annotated_frames)', short_masks)
    return missing_videos


def _check_a2d_deep(r: CheckReport, root: str, used: List[str],
                    missing_videos: List[str], video_source: str,
                    cache_dir: Optional[str], progress: bool) -> None:
    """Update the mask-index cache, read every mask, open every video."""
    index = a2d.A2DMaskIndex(root, cache_dir)
    index.update(
        [v for v in used if osp.isdir(osp.join(root, a2d.MASK_DIR, v))],
        progress=progress)
    unreadable = _read_every_mask(root, used, progress)
    if unreadable:
        r.error('unreadable mask files', unreadable)
    vids = [
        v for v in used
        if osp.join(a2d.CLIP_DIR, f'{v}.mp4') not in missing_videos
    ]
    corrupt = _open_every_video(root, vids, video_source, progress)
    if corrupt:
        r.error('corrupt videos', corrupt)


def _open_every_video(root: str, vids: List[str], video_source: str,
                      progress: bool) -> List[str]:
    """``'<path>: <problem>'`` for each video file of these videos that
    cannot be opened or holds no frame (frame folders are not opened)."""
    corrupt = []
    it = vids
    if progress:
        from tqdm import tqdm
        it = tqdm(vids, desc='opening videos', unit='video')
    for vid in it:
        path, fdir = a2d.resolve_video_source(root, vid, video_source)
        if path is None:
            continue
        try:
            from mmcsted.utils.video_io import open_video_file
            with open_video_file(
                    path, ('decord', 'pyav'), probe=False) as reader:
                if reader.num_frames == 0:
                    corrupt.append(f'{path}: no frames')
        except Exception as e:
            corrupt.append(f'{path}: {type(e).__name__}')
    return corrupt


def _check_generator_meta(r: CheckReport, root: str, rows, missed) -> None:
    """A synthetic tree: every query should be one the generator wrote, as
    its flags (twin, ...) come from ``generator_meta.json``; an edited query
    loads without flags and drops out of the flag/... metrics."""
    import json
    path = osp.join(root, SYNTHETIC_META_FILE)
    try:
        with open(path, encoding='utf-8') as f:
            listed = {(q['video_id'], int(q['instance_id']), q['query'])
                      for q in json.load(f)['queries']}
    except (OSError, ValueError, KeyError, TypeError) as e:
        r.error(f'{path} is not a readable generator summary '
                f'({type(e).__name__}: {e})')
        return
    r.note(f'{SYNTHETIC_META_FILE}: {len(listed)} queries (synthetic tree)')
    unlisted = []
    for x in rows:
        iid = a2d.parse_instance_id(x.instance_id)[0]
        if x.video_id in missed or '(copy)' in x.instance_id or iid is None:
            continue
        if (x.video_id, iid, x.query) not in listed:
            unlisted.append(f'line {x.line}: {x.video_id} instance {iid} '
                            f'{x.query!r}')
    if unlisted:
        r.warn(
            f'queries not in {SYNTHETIC_META_FILE} (edited or added: they '
            'load without query flags, so the flag/... metrics leave '
            'them out)', unlisted)


def _read_every_mask(root: str, vids: List[str], progress: bool) -> List[str]:
    """``'<vid>/<file>: <error>'`` for each .h5 of these videos that cannot
    be read to its end (truncated, corrupt, keys missing)."""
    files = []
    for vid in vids:
        mdir = osp.join(root, a2d.MASK_DIR, vid)
        if osp.isdir(mdir):
            files += [(vid, name) for name in sorted(os.listdir(mdir))
                      if a2d.MASK_FILE_PATTERN.match(name)]
    it = files
    if progress:
        from tqdm import tqdm
        it = tqdm(files, desc='reading mask files', unit='file')
    unreadable = []
    for vid, name in it:
        try:
            _read_h5_to_end(osp.join(root, a2d.MASK_DIR, vid, name))
        except Exception as e:
            unreadable.append(f'{vid}/{name}: {type(e).__name__}: {e}')
    return unreadable


def _read_h5_to_end(path: str) -> None:
    """Read an A2D mask file's header, then every mask and box to the last
    byte, which a file damaged past its header fails."""
    import h5py
    a2d.read_h5_frame_info(path)
    with h5py.File(path, 'r') as f:
        shape = f['reMask'][()].shape
        if 'reBBox' in f:
            f['reBBox'][()]
    if len(shape) not in (2, 3):
        raise ValueError(f'{path}: reMask has shape {shape}, expected '
                         '(N, W, H) or (W, H)')


def check_jhmdb_tree(root: str,
                     deep: bool = False,
                     limit: int = 10,
                     progress: bool = True) -> CheckReport:
    """Check a J-HMDB Sentences tree (``deep`` loads every mask and compares
    its size with the first frame)."""
    r = CheckReport(f'J-HMDB Sentences at {root}', limit)
    for rel, what in ((jhmdb.ANNOTATION_FILE, 'sentence annotations'),
                      (jhmdb.IMAGE_DIR, 'frame folder'),
                      (jhmdb.MASK_DIR, 'puppet mask folder')):
        if not osp.exists(osp.join(root, rel)):
            r.error(f'{what} not found: {osp.join(root, rel)}')
    try:
        rows = jhmdb.read_jhmdb_annotations(
            osp.join(root, jhmdb.ANNOTATION_FILE))
    except FileNotFoundError:
        return r
    except ValueError as e:
        r.error(str(e))
        return r
    empty = [
        f'line {row["line"]}: {row["video_id"]}' for row in rows
        if not has_words(row['query'])
    ]
    if empty:
        r.warn('rows with an empty query (skipped)', empty)
    r.note(f'jhmdb_annotation.txt: {len(rows)} rows; the tree has '
           f'{JHMDB_EXPECTED_ANNOTATIONS}')
    if len(rows) != JHMDB_EXPECTED_ANNOTATIONS:
        r.warn(f'jhmdb_annotation.txt has {len(rows)} rows, not '
               f'{JHMDB_EXPECTED_ANNOTATIONS}')
    if not osp.isdir(osp.join(root, jhmdb.IMAGE_DIR)):
        return r
    info = jhmdb.scan_jhmdb(root, rows, progress=progress)
    _check_jhmdb_videos(r, info)
    frozen = osp.join(root, jhmdb.FROZEN_FILE)
    r.note(f'frozen frame list {frozen}: ' + (
        'present' if osp.isfile(frozen) else 'absent (prepare.py writes it)'))
    if deep:
        wrong = _check_jhmdb_mask_sizes(info, progress)
        if wrong:
            r.error('masks that do not fit their frames', wrong)
    return r


def _check_jhmdb_videos(r: CheckReport, info) -> None:
    """What :func:`~.jhmdb_sentences.scan_jhmdb` found: missing files,
    unreadable masks, frames after the last mask, too short videos."""
    missing = [p for it in info.values() for p in it['missing']]
    if missing:
        r.error('frames or masks missing', missing)
    bad = [
        f'{it["mask_file"]}: {it["error"]}' for it in info.values()
        if 'error' in it
    ]
    if bad:
        r.error('unreadable mask files', bad)
    ok = [it for it in info.values() if 'usable_frames' in it]
    fewer = [
        f'{v} ({it["num_masks"]} masks, {it["num_images"]} frames)'
        for v, it in info.items()
        if 'usable_frames' in it and it['num_masks'] < it['num_images']
    ]
    r.note(f'{len(ok)} videos complete; {len(fewer)} have frames after the '
           'last mask (those frames are dropped)')
    if any(it['usable_frames'] < 3 for it in ok):
        r.warn('videos with fewer than 3 frames that have a mask',
               [v for v, it in info.items() if it.get('usable_frames', 3) < 3])


def _check_jhmdb_mask_sizes(info, progress: bool) -> List[str]:
    """Per complete video whose first mask cannot be loaded or differs in
    size from its first frame, a line saying so."""
    import cv2
    items = [(v, it) for v, it in info.items() if 'usable_frames' in it]
    if progress:
        from tqdm import tqdm
        items = tqdm(items, desc='reading masks', unit='video')
    wrong = []
    for vid, it in items:
        img = cv2.imread(osp.join(it['frame_dir'], jhmdb.FRAME_TMPL.format(1)))
        try:
            m = jhmdb.load_jhmdb_mask(it['mask_file'], 1)
        except Exception as e:
            wrong.append(f'{it["mask_file"]}: {e}')
            continue
        if img is None or img.shape[:2] != m.shape:
            wrong.append(f'{vid}: mask {m.shape} vs frame '
                         f'{None if img is None else img.shape[:2]}')
    return wrong
