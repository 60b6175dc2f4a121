"""A2D Sentences: the A2D release plus the sentence annotations, read as they
come from the datasets' sites (see ``docs/dataset_prepare.md``).

Layout under ``data_root``::

    Release/videoset.csv                 no header, 9 columns
    Release/clips320H/<vid>.mp4          videos
    Release/frames/<vid>/<frame:05d>.jpg (or extracted frames)
    text_annotations/a2d_annotation.txt  header video_id,instance_id,query
    text_annotations/a2d_missed_videos.txt
    text_annotations/a2d_annotation_with_instances/<vid>/<frame:05d>.h5

A sample is one (query, annotated frame) pair whose instance is present in that
frame. Reading the ~15k HDF5 files is the slow part: their content (instance
ids, mask count) is kept in a per-video index under the cache directory, which
is resumable and re-reads a video only when one of its mask files changed
(added, removed, or a different size or mtime).
"""
import csv
import logging
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmcsted.registry import DATASETS
from .utils import (SkipCounter, atomic_write_json, limited_list, require_file,
                    resolve_cache_dir)

A2D_ACTORS = ('adult', 'baby', 'ball', 'bird', 'car', 'cat', 'dog')
A2D_ACTIONS = ('climbing', 'crawling', 'eating', 'flying', 'jumping',
               'rolling', 'running', 'walking', 'none')

VIDEOSET_FILE = 'Release/videoset.csv'
ANNOTATION_FILE = 'text_annotations/a2d_annotation.txt'
MISSED_FILE = 'text_annotations/a2d_missed_videos.txt'
MASK_DIR = 'text_annotations/a2d_annotation_with_instances'
CLIP_DIR = 'Release/clips320H'
FRAME_DIR = 'Release/frames'
FRAME_TMPL = '{:05d}.jpg'
INDEX_FILE = 'a2d_mask_index.json'
INDEX_FORMAT = 2  # 2: a (size, mtime) signature per file

SPLITS = {'train': 0, 'test': 1}
_H5_NAME = re.compile(r'^(\d+)\.h5$')


class VideoRecord(NamedTuple):
    """One row of ``Release/videoset.csv``."""
    vid: str
    label: int
    start_time: str
    end_time: str
    height: int
    width: int
    total_frames: int
    annotated_frames: int
    subset: int


class QueryRow(NamedTuple):
    """One row of ``a2d_annotation.txt`` (``line`` is 1-based, header = 1)."""
    line: int
    video_id: str
    instance_id: str
    query: str


def read_videoset(path: str) -> 'OrderedDict[str, VideoRecord]':
    """Parse ``videoset.csv`` (no header, 9 columns); errors name the line."""
    require_file(path, 'A2D video list', 'part of the A2D release')
    videos: 'OrderedDict[str, VideoRecord]' = OrderedDict()
    with open(path, newline='', encoding='utf-8') as f:
        for lineno, row in enumerate(csv.reader(f), 1):
            if not row or all(not c.strip() for c in row):
                continue
            row = [c.strip() for c in row]
            if len(row) != 9:
                raise ValueError(
                    f'{path}:{lineno}: expected 9 columns (vid, label, '
                    'start_time, end_time, height, width, total_frames, '
                    f'annotated_frames, subset), got {len(row)}: {row}')
            try:
                rec = VideoRecord(row[0], int(float(row[1])), row[2], row[3],
                                  int(float(row[4])), int(float(row[5])),
                                  int(float(row[6])), int(float(row[7])),
                                  int(float(row[8])))
            except ValueError as e:
                raise ValueError(f'{path}:{lineno}: malformed row {row}: {e}')
            if rec.vid in videos:
                print_log(
                    f'{path}:{lineno}: video {rec.vid} listed twice; the '
                    'first row is kept',
                    logger='current',
                    level=logging.WARNING)
                continue
            videos[rec.vid] = rec
    return videos


def read_a2d_annotations(path: str) -> List[QueryRow]:
    """Parse ``a2d_annotation.txt`` with the csv module (queries may be
    quoted and contain commas). A row with more than 3 fields (an unquoted
    comma in the query) gets its query fields joined back."""
    require_file(path, 'A2D Sentences annotation file',
                 'text_annotations/ from the A2D Sentences release')
    rows = []
    with open(path, newline='', encoding='utf-8-sig') as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or [h.strip().lower() for h in header[:3]] != [
                'video_id', 'instance_id', 'query'
        ]:
            raise ValueError(f'{path}: expected the header '
                             f'"video_id,instance_id,query", got {header}')
        for row in reader:
            lineno = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) < 3:
                raise ValueError(
                    f'{path}:{lineno}: expected 3 fields (video_id, '
                    f'instance_id, query), got {row}')
            query = row[2] if len(row) == 3 else ','.join(row[2:])
            rows.append(
                QueryRow(lineno, row[0].strip(), row[1].strip(), query))
    return rows


def read_missed_videos(path: str) -> set:
    require_file(path, 'A2D Sentences missed-video list',
                 'text_annotations/ from the A2D Sentences release')
    with open(path, encoding='utf-8') as f:
        return {line.strip() for line in f if line.strip()}


class SampleListRow(NamedTuple):
    line: int  # 1-based row number in the list file
    video_id: str
    frame_id: int
    instance_id: int
    query: str


def read_sample_list(path: str,
                     drop_last: Optional[int] = None) -> List[SampleListRow]:
    """The rows of a CSTED-release sample list (``datasets/A2D/preprocessed/
    test.txt`` of RyanHTR/CSTM), in file order, duplicates kept.

    Rows are ``<vid>/<frame:05d>,<H>,<W>,<instance_id>,<query>,<class>``, no
    header, read as the release reads them (``pd.read_csv(path,
    header=None)``): a CSV reader with default quoting (a query holding a
    comma is quoted), blank lines skipped, the query kept verbatim. With
    ``drop_last=b`` the final partial batch of ``b`` rows is dropped, as the
    release's ``DataLoader(batch_size=b, drop_last=True)`` does.
    """
    require_file(path, 'sample list',
                 'datasets/A2D/preprocessed/test.txt of the CSTED release')
    rows = []
    with open(path, newline='', encoding='utf-8') as f:
        for line, fields in enumerate(csv.reader(f), 1):
            if not fields:
                continue
            try:
                if len(fields) != 6:
                    raise ValueError(f'{len(fields)} fields, expected 6')
                vid, frame = fields[0].rsplit('/', 1)
                rows.append(
                    SampleListRow(line, vid, int(frame), int(fields[3]),
                                  fields[4]))
            except ValueError as e:
                raise ValueError(f'{path}: row {line} {fields!r}: expected '
                                 '<vid>/<frame>,<H>,<W>,<instance_id>,'
                                 f'<query>,<class> ({e})') from None
    if drop_last:
        rows = rows[:len(rows) - len(rows) % drop_last]
    return rows


def parse_instance_id(text: str) -> Tuple[Optional[int], bool]:
    """``'2'`` -> (2, False); ``'1 (copy)'`` -> (1, True); junk -> None."""
    is_copy = '(copy)' in text
    m = re.match(r'^\s*(\d+)', text)
    if m is None:
        return None, is_copy
    rest = text[m.end():].replace('(copy)', '').strip()
    if rest:
        return None, is_copy
    return int(m.group(1)), is_copy


def split_label(label: int, num_actors: int,
                num_actions: int) -> Tuple[int, int]:
    """A2D label ``actor * 10 + action`` -> (actor id, action id), both
    1-based like the label's digits (id ``k`` names ``classes[k - 1]``), -1
    where out of range."""
    actor, action = label // 10, label % 10
    if not 1 <= actor <= num_actors:
        actor = -1
    if not 1 <= action <= num_actions:
        action = -1
    return actor, action


def _as_int_list(arr) -> List[int]:
    return [int(round(float(v))) for v in np.asarray(arr).ravel()]


def read_h5_frame_info(path: str) -> Dict:
    """Instance ids, mask count and per-instance labels of one mask file,
    without reading the masks."""
    import h5py
    with h5py.File(path, 'r') as f:
        if 'instance' not in f or 'reMask' not in f:
            raise KeyError(f'{path}: expected the keys "instance" and '
                           f'"reMask", found {sorted(f.keys())}')
        instances = _as_int_list(f['instance'][()])
        shape = tuple(f['reMask'].shape)
        num_masks = 1 if len(shape) == 2 else shape[0]
        labels = _as_int_list(f['id'][()]) if 'id' in f else []
    return dict(instances=instances, num_masks=int(num_masks), labels=labels)


def read_h5_all_masks(path: str) -> Dict:
    """Read a mask file to its last byte (ids, every mask, boxes): the deep
    check. ``read_h5_frame_info`` reads the header only, which a file damaged
    past its header passes."""
    import h5py
    with h5py.File(path, 'r') as f:
        if 'instance' not in f or 'reMask' not in f:
            raise KeyError(f'{path}: expected the keys "instance" and '
                           f'"reMask", found {sorted(f.keys())}')
        instances = _as_int_list(f['instance'][()])
        masks = np.asarray(f['reMask'][()])
        if 'reBBox' in f:
            f['reBBox'][()]
    if masks.ndim not in (2, 3):
        raise ValueError(f'{path}: reMask has shape {masks.shape}, expected '
                         '(N, W, H) or (W, H)')
    num_masks = 1 if masks.ndim == 2 else masks.shape[0]
    return dict(instances=instances, num_masks=int(num_masks))


def load_a2d_mask(path: str, instance_id: int) -> np.ndarray:
    """The H x W {0, 1} uint8 mask of ``instance_id`` in one A2D h5 file.

    ``reMask`` is stored transposed: (N, W, H), or (W, H) for one instance.
    Where an id is listed twice (a known release quirk) the first is used.
    """
    import h5py
    with h5py.File(path, 'r') as f:
        instances = _as_int_list(f['instance'][()])
        if instance_id not in instances:
            raise KeyError(f'{path}: instance {instance_id} not in this '
                           f'frame (instances {instances})')
        idx = instances.index(instance_id)
        dset = f['reMask']
        if dset.ndim == 2:
            if idx != 0:
                raise ValueError(f'{path}: one mask stored but instance '
                                 f'{instance_id} is number {idx + 1}')
            mask = dset[()]
        elif dset.ndim == 3:
            if idx >= dset.shape[0]:
                raise ValueError(f'{path}: {dset.shape[0]} masks stored but '
                                 f'instance {instance_id} is number '
                                 f'{idx + 1}')
            mask = dset[idx]
        else:
            raise ValueError(f'{path}: reMask has shape {dset.shape}, '
                             'expected (N, W, H) or (W, H)')
    return (np.asarray(mask).T > 0.5).astype(np.uint8)


class A2DMaskIndex:
    """Per-video content of the A2D mask files, cached as JSON.

    ``videos[vid]`` = ``{'files': {name: [size, mtime_ns]}, 'frames':
    [{'frame': 11, 'file': '00011.h5', 'instances': [...], 'num_masks': n,
    'labels': [...]} or {'frame': 11, 'file': ..., 'error': '...'}],
    'bad_names': [...]}``, or ``{'missing': True}`` when the video has no
    mask directory. A video is re-read when its files' signature changed: a
    file added or removed, or one rewritten or truncated in place (which
    leaves the folder's mtime as it was).
    """

    def __init__(self, data_root: str, cache_dir: Optional[str] = None,
                 use_cache: bool = True):
        self.data_root = data_root
        self.mask_root = osp.join(data_root, MASK_DIR)
        self.use_cache = use_cache
        self.cache_file = osp.join(
            resolve_cache_dir(data_root, cache_dir), INDEX_FILE)
        self.videos: Dict[str, Dict] = {}
        if use_cache and osp.isfile(self.cache_file):
            try:
                import json
                with open(self.cache_file, encoding='utf-8') as f:
                    data = json.load(f)
                if data.get('format') == INDEX_FORMAT:
                    self.videos = data['videos']
            except Exception as e:  # a broken cache is rebuilt, not fatal
                print_log(
                    f'ignoring the unreadable index cache {self.cache_file}: '
                    f'{e}',
                    logger='current',
                    level=logging.WARNING)

    def save(self) -> None:
        if not self.use_cache:
            return
        try:
            atomic_write_json(self.cache_file,
                              dict(format=INDEX_FORMAT, videos=self.videos))
        except OSError as e:
            print_log(
                f'could not write the index cache {self.cache_file}: {e}',
                logger='current',
                level=logging.WARNING)

    def _signature(self, vid: str) -> Optional[Dict[str, List[int]]]:
        """``{name: [size, mtime_ns]}`` of the video's mask folder, or None
        when it has none (one stat per file: cheap next to reading them)."""
        try:
            entries = list(os.scandir(osp.join(self.mask_root, vid)))
        except (FileNotFoundError, NotADirectoryError):
            return None
        sig = {}
        for entry in entries:
            try:
                st = entry.stat()
            except OSError:  # vanished between listing and stat
                continue
            sig[entry.name] = [st.st_size, st.st_mtime_ns]
        return sig

    def is_current(self, vid: str) -> bool:
        entry = self.videos.get(vid)
        if entry is None:
            return False
        sig = self._signature(vid)
        if sig is None:
            return bool(entry.get('missing'))
        return entry.get('files') == sig

    def scan_video(self, vid: str) -> Dict:
        vdir = osp.join(self.mask_root, vid)
        sig = self._signature(vid)
        if sig is None:
            return dict(missing=True)
        frames, bad_names = [], []
        for name in sorted(sig):
            m = _H5_NAME.match(name)
            if m is None:
                bad_names.append(name)
                continue
            item = dict(frame=int(m.group(1)), file=name)
            try:
                item.update(read_h5_frame_info(osp.join(vdir, name)))
            except Exception as e:
                item['error'] = f'{type(e).__name__}: {e}'
            frames.append(item)
        return dict(files=sig, frames=frames, bad_names=bad_names)

    def update(self,
               vids: Sequence[str],
               progress: bool = True,
               save_every: int = 200) -> int:
        """Scan the videos that are not current; saves every ``save_every``
        videos so that an interrupted run resumes. Returns how many were
        scanned."""
        todo = [v for v in dict.fromkeys(vids) if not self.is_current(v)]
        if not todo:
            return 0
        iterator = todo
        if progress and len(todo) > 20:
            from tqdm import tqdm
            iterator = tqdm(todo, desc='indexing A2D mask files', unit='video')
        for i, vid in enumerate(iterator, 1):
            self.videos[vid] = self.scan_video(vid)
            if i % save_every == 0:
                self.save()
        self.save()
        return len(todo)


def resolve_frame_root(data_root: str, frame_root: Optional[str]) -> str:
    """The folder holding ``<vid>/<frame:05d>.jpg``: ``frame_root`` (relative
    to ``data_root`` unless absolute), default ``<data_root>/Release/frames``.
    """
    if not frame_root:
        return osp.join(data_root, FRAME_DIR)
    if osp.isabs(frame_root):
        return frame_root
    return osp.join(data_root, frame_root)


def resolve_video_source(
        data_root: str,
        vid: str,
        video_source: str,
        frame_root: Optional[str] = None
) -> Tuple[Optional[str], Optional[str]]:
    """(video_path, frame_dir) for one video; both None if absent.
    ``frame_root``: see :func:`resolve_frame_root`."""
    mp4 = osp.join(data_root, CLIP_DIR, f'{vid}.mp4')
    fdir = osp.join(resolve_frame_root(data_root, frame_root), vid)
    if video_source == 'frames':
        return None, (fdir if osp.isdir(fdir) else None)
    if video_source == 'mp4':
        return (mp4 if osp.isfile(mp4) else None), None
    if video_source == 'auto':
        if osp.isdir(fdir) and os.listdir(fdir):
            return None, fdir
        return (mp4 if osp.isfile(mp4) else None), None
    raise ValueError(f"video_source must be 'auto', 'mp4' or 'frames', got "
                     f'{video_source!r}')


@DATASETS.register_module()
class A2DSentencesDataset(BaseDataset):
    """A2D Sentences, one sample per (query, annotated frame).

    Args:
        data_root: root of the release (holds ``Release/`` and
            ``text_annotations/``).
        split: ``'train'`` or ``'test'`` (videoset.csv subset 0 / 1).
        pipeline: transforms.
        video_source: ``'mp4'`` (``Release/clips320H/<vid>.mp4``),
            ``'frames'`` (``<frame_root>/<vid>/<frame:05d>.jpg``) or
            ``'auto'`` (frames where a video's frame folder exists, else mp4).
        frame_root: the folder of extracted frames, ``<frame_root>/<vid>/
            <frame:05d>.jpg`` (1-based), relative to ``data_root`` unless
            absolute. Default None: ``Release/frames``. The authors' test
            code reads ``Release/frames_cv2`` (frames extracted with OpenCV;
            ``tools/data/a2d_sentences/extract_frames.py`` writes it); pair it
            with ``VideoDecode(image_backend='pillow')`` to read them as it
            does. A missing frame folder follows ``on_missing_video``; a
            missing or unreadable JPEG inside one is a load error naming the
            file (``on_error`` of the loading transforms).
        drop_copy_instances: drop rows whose instance id is ``'1 (copy)'``
            (a duplicated annotation; public codebases drop it). If False the
            row counts as instance 1.
        on_missing_video: ``'error'`` (default; lists the missing files) or
            ``'skip'`` (counted, logged skip of that video's samples).
        cache_dir: where the mask index cache lives (default
            ``<data_root>/mmcsted_cache``).
        use_cache: read/write the mask index cache.
        progress: show a progress bar while indexing mask files.
        class_source: ``'video'`` (default): ``actor_class``/``action_class``
            from the video's videoset.csv label (its main actor-action);
            ``'instance'``: from the target instance's own label (the mask
            file's ``id`` key) where present, else the video's.
        sample_list: optional list of samples to use instead of the ones
            derived from the annotations: the CSTED release's own test list
            (``datasets/A2D/preprocessed/test.txt`` of RyanHTR/CSTM), read by
            :func:`read_sample_list`; relative to data_root unless absolute.
            The samples are then exactly its rows, in file order, duplicates
            kept, each with the row's query text verbatim, resolved against
            this tree (videoset.csv, mask files, video/frames); ``split``,
            ``ann_file``, a2d_missed_videos.txt and ``on_missing_video`` do
            not apply, and a row whose video, mask file or instance is
            missing is an error naming the row. Default None: today's
            samples.
        sample_list_drop_last: with ``sample_list``, drop the final partial
            batch of this size (the release scores its list at batch 8 with
            ``drop_last=True``: pass 8). Default None: keep every row.
        query_flags_file: optional JSON giving per-query boolean flags for
            metric breakdowns, as the synthetic generator's
            ``generator_meta.json`` (``queries``: list of dicts with
            ``video_id``, ``instance_id``, ``query`` and flags); relative to
            data_root. Each sample then carries ``query_flags``; a sample
            whose (video, instance, query) the file does not list (an edited
            or added query) is kept without flags, counted in
            ``num_without_flags`` and logged: the flag breakdowns of
            ``ReferSegMetric`` leave it out, the main metrics count it.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments
            (``test_mode``, ``metainfo``, ``indices``, ``lazy_init``, ...).

    Each data_list entry has: ``video_id``, ``frame_id`` (1-based target
    frame), ``instance_id``, ``query``, ``mask_file``, ``mask_format``
    (``'a2d_h5'``), ``video_path`` / ``frame_dir`` (one is None),
    ``filename_tmpl``, ``total_frames``, ``height``, ``width`` (from
    videoset.csv: the ORIGINAL video size, not the clips320H size),
    ``label``, ``actor_class``, ``action_class`` (1-based ids, the digits of
    the A2D label: id ``k`` names ``metainfo['actor_classes'][k - 1]``; -1 if
    out of range; from the video-level label of videoset.csv, or with
    ``class_source='instance'`` from the target's own label),
    ``instance_label`` (the per-instance actor-action label from the mask
    file's ``id`` key, -1 if absent), ``query_flags`` (only with
    ``query_flags_file``, for the queries it lists) and, once fetched,
    ``sample_idx``.
    """

    METAINFO = dict(
        dataset_name='A2D Sentences',
        actor_classes=A2D_ACTORS,
        action_classes=A2D_ACTIONS)

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 pipeline: Sequence = (),
                 video_source: str = 'auto',
                 frame_root: Optional[str] = None,
                 drop_copy_instances: bool = True,
                 on_missing_video: str = 'error',
                 cache_dir: Optional[str] = None,
                 use_cache: bool = True,
                 progress: bool = True,
                 class_source: str = 'video',
                 query_flags_file: Optional[str] = None,
                 ann_file: str = ANNOTATION_FILE,
                 sample_list: Optional[str] = None,
                 sample_list_drop_last: Optional[int] = None,
                 **kwargs):
        if sample_list_drop_last is not None and (
                not sample_list or not isinstance(sample_list_drop_last, int)
                or sample_list_drop_last < 1):
            raise ValueError('sample_list_drop_last must be a positive int '
                             'and needs sample_list, got '
                             f'{sample_list_drop_last!r}')
        if class_source not in ('video', 'instance'):
            raise ValueError("class_source must be 'video' or 'instance', "
                             f'got {class_source!r}')
        if split not in SPLITS:
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if video_source not in ('auto', 'mp4', 'frames'):
            raise ValueError("video_source must be 'auto', 'mp4' or "
                             f"'frames', got {video_source!r}")
        if on_missing_video not in ('error', 'skip'):
            raise ValueError("on_missing_video must be 'error' or 'skip', "
                             f'got {on_missing_video!r}')
        self.split = split
        self.video_source = video_source
        self.frame_root = frame_root
        self.drop_copy_instances = drop_copy_instances
        self.on_missing_video = on_missing_video
        self.cache_dir = cache_dir
        self.use_cache = use_cache
        self.progress = progress
        self.class_source = class_source
        self.query_flags_file = query_flags_file
        self.sample_list = sample_list
        self.sample_list_drop_last = sample_list_drop_last
        self.skipped: Dict[str, int] = {}
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            pipeline=list(pipeline),
            **kwargs)

    # ------------------------------------------------------------------
    def load_data_list(self) -> List[dict]:
        root = self.data_root
        owner = f'{type(self).__name__}({self.split})'
        skips = SkipCounter(owner)
        require_file(root, 'A2D Sentences data_root')
        videos = read_videoset(osp.join(root, VIDEOSET_FILE))
        if self.sample_list:
            return self._load_sample_list(videos)
        rows = read_a2d_annotations(self.ann_file)
        missed = read_missed_videos(osp.join(root, MISSED_FILE))
        require_file(
            osp.join(root, MASK_DIR), 'A2D Sentences mask folder',
            'a2d_annotation_with_instances/ from the A2D Sentences release')
        subset = SPLITS[self.split]
        actors = self.metainfo.get('actor_classes', A2D_ACTORS)
        actions = self.metainfo.get('action_classes', A2D_ACTIONS)

        # 1. Keep the rows of this split.
        kept_rows: List[Tuple[QueryRow, int]] = []
        for row in rows:
            rec = videos.get(row.video_id)
            if rec is None:
                skips.add('query rows whose video is not in videoset.csv',
                          f'line {row.line}: {row.video_id}')
                continue
            if rec.subset != subset:
                continue
            if row.video_id in missed:
                skips.add('query rows of videos in a2d_missed_videos.txt',
                          row.video_id, level=logging.INFO)
                continue
            iid, is_copy = parse_instance_id(row.instance_id)
            if is_copy and self.drop_copy_instances:
                skips.add("query rows with instance id '1 (copy)'",
                          f'line {row.line}: {row.video_id}',
                          level=logging.INFO)
                continue
            if iid is None:
                skips.add('query rows with a malformed instance id',
                          f'line {row.line}: {row.instance_id!r}')
                continue
            if not row.query.strip():
                skips.add('query rows with an empty query',
                          f'line {row.line}: {row.video_id}')
                continue
            kept_rows.append((row, iid))

        # 2. Read (or take from the cache) the mask files of these videos.
        needed = list(dict.fromkeys(r.video_id for r, _ in kept_rows))
        index = A2DMaskIndex(root, self.cache_dir, self.use_cache)
        index.update(needed, progress=self.progress)

        # 3. Videos: their files, and checks of their mask folders.
        sources = {}
        missing_videos = []
        for vid in needed:
            video_path, frame_dir = resolve_video_source(
                root, vid, self.video_source, self.frame_root)
            if video_path is None and frame_dir is None:
                missing_videos.append(vid)
            sources[vid] = (video_path, frame_dir)
            entry = index.videos[vid]
            rec = videos[vid]
            if entry.get('missing'):
                skips.add(
                    'missing mask files (whole mask folder absent)',
                    osp.join(MASK_DIR, vid), n=max(rec.annotated_frames, 1))
                continue
            for item in entry['frames']:
                if 'error' in item:
                    skips.add('unreadable mask files',
                              f'{osp.join(MASK_DIR, vid, item["file"])}: '
                              f'{item["error"]}')
            for name in entry.get('bad_names', []):
                skips.add('files in a mask folder not named <frame>.h5',
                          osp.join(MASK_DIR, vid, name), level=logging.INFO)
            found = len(entry['frames'])
            if found < rec.annotated_frames:
                skips.add(
                    'missing mask files (fewer .h5 files than videoset.csv '
                    'lists annotated frames)',
                    f'{vid}: {found} of {rec.annotated_frames}',
                    n=rec.annotated_frames - found)
        if missing_videos:
            frame_root = resolve_frame_root(root, self.frame_root)
            frame_where = (f'{FRAME_DIR}/<vid>/' if not self.frame_root else
                           osp.join(frame_root, '<vid>/'))
            where = {
                'mp4': f'{CLIP_DIR}/<vid>.mp4',
                'frames': frame_where,
                'auto': f'{CLIP_DIR}/<vid>.mp4 or {frame_where}'
            }[self.video_source]
            paths = [
                osp.join(root, CLIP_DIR, f'{v}.mp4')
                if self.video_source != 'frames' else osp.join(
                    frame_root, v) for v in missing_videos
            ]
            if self.on_missing_video == 'error':
                raise FileNotFoundError(
                    f'{owner}: {len(missing_videos)} videos not found as '
                    f'{where}: {limited_list(paths)}. Pass '
                    "on_missing_video='skip' to train without them.")
            skips.add('samples of videos whose file is missing',
                      limited_list(paths, 3), n=0)

        # 4. One sample per (query, annotated frame holding its instance).
        flags = self._load_query_flags()
        data_list = []
        missing_set = set(missing_videos)
        for row, iid in kept_rows:
            vid = row.video_id
            entry = index.videos[vid]
            if entry.get('missing'):
                skips.add('query rows whose video has no mask folder',
                          f'line {row.line}: {vid}')
                continue
            rec = videos[vid]
            n_samples = 0
            for item in entry['frames']:
                if 'error' in item:
                    continue
                instances = item['instances']
                if iid not in instances:
                    skips.add(
                        '(query, frame) pairs whose instance is absent '
                        'from the frame', level=logging.INFO)
                    continue
                pos = instances.index(iid)
                if pos >= item['num_masks']:
                    skips.add(
                        '(query, frame) pairs whose instance has no stored '
                        'mask (more ids than masks)',
                        f'{vid}/{item["file"]} instance {iid}')
                    continue
                if vid in missing_set:
                    skips.add('samples of videos whose file is missing')
                    continue
                video_path, frame_dir = sources[vid]
                data_list.append(self._sample(
                    root, vid, rec, item, pos, iid, row.query, video_path,
                    frame_dir, actors, actions, flags, owner))
                n_samples += 1
            if n_samples == 0:
                skips.add('queries whose instance is in none of the '
                          'annotated frames', f'line {row.line}: {vid}')
        data_list.sort(key=lambda d: (d['video_id'], d['frame_id'],
                                      d['instance_id'], d['query']))
        skips.log_summary(kept=len(data_list))
        self._log_samples_without_flags(owner)
        self.skipped = skips.as_dict()
        if not data_list:
            raise ValueError(f'{owner}: no sample left in {root}; see the '
                             'warnings above')
        return data_list

    def _sample(self, root, vid, rec, item, pos, instance_id, query,
                video_path, frame_dir, actors, actions, flags,
                owner) -> dict:
        """One sample: the mask-index ``item`` of the annotated frame, the
        instance at position ``pos`` of its mask file."""
        labels = item.get('labels') or []
        inst_label = labels[pos] if pos < len(labels) else -1
        actor_id, action_id = split_label(rec.label, len(actors),
                                          len(actions))
        if self.class_source == 'instance' and inst_label > 0:
            actor_id, action_id = split_label(inst_label, len(actors),
                                              len(actions))
        sample = dict(
            video_id=vid,
            frame_id=item['frame'],
            instance_id=instance_id,
            query=query,
            mask_file=osp.join(root, MASK_DIR, vid, item['file']),
            mask_format='a2d_h5',
            video_path=video_path,
            frame_dir=frame_dir,
            filename_tmpl=FRAME_TMPL,
            total_frames=rec.total_frames,
            height=rec.height,
            width=rec.width,
            label=rec.label,
            actor_class=actor_id,
            action_class=action_id,
            instance_label=inst_label)
        if flags is not None:
            key = (vid, instance_id, query)
            if key in flags:
                sample['query_flags'] = flags[key]
            else:  # an edited query: kept, with no flag to report it under
                self._without_flags.append(key)
        return sample

    def _log_samples_without_flags(self, owner: str) -> None:
        """One warning for the samples whose query the flags file does not
        list (see ``query_flags_file``)."""
        keys = self._without_flags
        self.num_without_flags = len(keys)
        if not keys:
            return
        queries = list(dict.fromkeys(keys))
        examples = [f'{v} instance {i}: {q!r}' for v, i, q in queries]
        print_log(
            f'{owner}: {len(keys)} samples ({len(queries)} queries) are not '
            f'in {self.query_flags_file}: kept without query flags, so the '
            f'flag/... metrics leave them out (e.g. '
            f'{limited_list(examples, 3)})',
            logger='current',
            level=logging.WARNING)

    def _load_sample_list(self, videos) -> List[dict]:
        """The samples of ``sample_list``: its rows, resolved against the
        tree; any row that does not resolve is an error."""
        root = self.data_root
        path = self.sample_list
        if not osp.isabs(path):
            path = osp.join(root, path)
        owner = f'{type(self).__name__}(sample_list={path})'
        rows = read_sample_list(path, self.sample_list_drop_last)
        if not rows:
            raise ValueError(f'{owner}: no sample in the list')
        require_file(
            osp.join(root, MASK_DIR), 'A2D Sentences mask folder',
            'a2d_annotation_with_instances/ from the A2D Sentences release')
        actors = self.metainfo.get('actor_classes', A2D_ACTORS)
        actions = self.metainfo.get('action_classes', A2D_ACTIONS)
        needed = list(dict.fromkeys(r.video_id for r in rows
                                    if r.video_id in videos))
        index = A2DMaskIndex(root, self.cache_dir, self.use_cache)
        index.update(needed, progress=self.progress)
        sources = {
            vid: resolve_video_source(root, vid, self.video_source,
                                      self.frame_root)
            for vid in needed
        }
        flags = self._load_query_flags()
        data_list, errors = [], []
        for row in rows:
            vid = row.video_id
            name = (f'row {row.line} ({vid}/{row.frame_id:05d}, instance '
                    f'{row.instance_id}, {row.query!r})')
            if vid not in videos:
                errors.append(f'{name}: video not in {VIDEOSET_FILE}')
                continue
            entry = index.videos[vid]
            item = next((it for it in entry.get('frames', [])
                         if it['frame'] == row.frame_id), None)
            if item is None or 'error' in item:
                errors.append(f'{name}: no readable mask file '
                              f'{MASK_DIR}/{vid}/{row.frame_id:05d}.h5' +
                              (f' ({item["error"]})' if item else ''))
                continue
            instances = item['instances']
            if row.instance_id not in instances:
                errors.append(f'{name}: instance {row.instance_id} not in '
                              f'the mask file (instances {instances})')
                continue
            pos = instances.index(row.instance_id)
            if pos >= item['num_masks']:
                errors.append(f'{name}: instance {row.instance_id} has no '
                              'stored mask (more ids than masks)')
                continue
            video_path, frame_dir = sources[vid]
            if video_path is None and frame_dir is None:
                errors.append(f'{name}: video file/frames not found '
                              f'(video_source={self.video_source!r})')
                continue
            rec = videos[vid]
            data_list.append(self._sample(
                root, vid, rec, item, pos, row.instance_id, row.query,
                video_path, frame_dir, actors, actions, flags, owner))
        if errors:
            raise ValueError(f'{owner}: {len(errors)} rows do not resolve '
                             f'against {root}: {limited_list(errors)}')
        self._log_samples_without_flags(owner)
        self.skipped = {}
        return data_list

    def _load_query_flags(self) -> Optional[Dict]:
        self._without_flags: List[Tuple[str, int, str]] = []
        self.num_without_flags = 0
        if not self.query_flags_file:
            return None
        import json
        path = self.query_flags_file
        if not osp.isabs(path):
            path = osp.join(self.data_root, path)
        require_file(path, 'query flags file')
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
        queries = data['queries'] if isinstance(data, dict) else data
        flags = {}
        for q in queries:
            key = (q['video_id'], int(q['instance_id']), q['query'])
            flags[key] = {
                k: v
                for k, v in q.items() if isinstance(v, bool)
            }
            if 'position_word' in q:
                flags[key]['position'] = bool(q['position_word'])
        return flags

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        info['test_mode'] = self.test_mode
        return info


class _FrameWriteError(OSError):
    pass


FRAME_BACKENDS = ('decord', 'opencv')


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

    import cv2
    if backend not in FRAME_BACKENDS:
        raise ValueError(f'backend must be one of {FRAME_BACKENDS}, got '
                         f'{backend!r}')
    if osp.isdir(out_dir):
        return 0
    parent = osp.dirname(osp.abspath(out_dir))
    os.makedirs(parent, exist_ok=True)
    tmp = osp.join(parent, f'.tmp_{osp.basename(out_dir)}')

    def fresh_tmp():
        if osp.isdir(tmp):
            shutil.rmtree(tmp)
        os.makedirs(tmp)

    params = ([] if jpeg_quality is None else
              [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])

    def write_bgr(i, bgr):
        if not cv2.imwrite(osp.join(tmp, FRAME_TMPL.format(i)), bgr, params):
            raise _FrameWriteError(f'cannot write frames into {tmp}')

    def write(i, rgb):
        write_bgr(i, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))

    fresh_tmp()
    if backend == 'opencv':
        cap = None
        try:
            if not osp.isfile(video_path):
                raise FileNotFoundError(f'video not found: {video_path}')
            cap = cv2.VideoCapture(video_path)
            if not cap.isOpened():
                raise ValueError(f'OpenCV cannot open {video_path}')
            n = 0
            while True:
                ok, bgr = cap.read()
                if not ok:
                    break
                n += 1
                write_bgr(n, bgr)
            if n == 0:
                raise ValueError(f'{video_path}: no frame decoded')
            os.replace(tmp, out_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            if cap is not None:
                cap.release()
        return n

    try:  # decord, PyAV where it fails (mmcsted.utils.video_io)
        from mmcsted.utils.video_io import open_video_file
        n = 0
        with open_video_file(video_path, ('decord', 'pyav'),
                             probe=False) as reader:
            for i, rgb in reader.iter_frames(range(reader.num_frames)):
                write(i + 1, rgb)
                n += 1
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
    bar = dict(total=len(jobs), desc='extracting frames', unit='video',
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
