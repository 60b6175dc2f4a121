"""The A2D Sentences dataset: one sample per (query, annotated frame)."""
import logging
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.logging import print_log

from mmcsted.registry import DATASETS
from mmcsted.text import has_words
from mmcsted.utils.misc import check_choice
from ..base import BaseActorSegDataset
from ..utils import SkipCounter, limited_list, read_json, require_file
from .masks import A2DMaskIndex, load_a2d_mask
from .tree import (A2D_ACTIONS, A2D_ACTORS, ANNOTATION_FILE, CLIP_DIR,
                   FRAME_DIR, FRAME_TMPL, MASK_DIR, MISSED_FILE, SPLITS,
                   VIDEO_SOURCES, VIDEOSET_FILE, QueryRow, VideoRecord,
                   parse_instance_id, read_a2d_annotations, read_missed_videos,
                   read_sample_list, read_videoset, resolve_frame_root,
                   resolve_video_source, split_label)

# (video_path, frame_dir) of a video, one of them None
Source = Tuple[Optional[str], Optional[str]]


@DATASETS.register_module()
class A2DSentencesDataset(BaseActorSegDataset):
    """A2D Sentences, one sample per (query, annotated frame).

    Args:
        data_root: root of the tree (``Release/``, ``text_annotations/``).
        split: ``'train'`` or ``'test'``.
        video_source: ``'mp4'``, ``'frames'`` or ``'auto'`` (frames where a
            video's frame folder exists, else mp4).
        frame_root: the frames' folder (default ``Release/frames``).
        drop_copy_instances: drop rows with instance id ``'1 (copy)'``.
        cache_dir: where the mask index cache lives.
        use_cache: read/write the mask index cache.
        progress: show a progress bar while indexing mask files.
        class_source: ``'video'`` or ``'instance'``: where ``actor_class`` /
            ``action_class`` come from.
        query_flags_file: optional JSON of per-query flags (``query_flags``).
        ann_file: the annotation CSV.
        sample_list: optional list of the samples to use instead (the
            authors' test list); each row must resolve.
        sample_list_drop_last: drop the final partial batch of this size.
        **kwargs: :class:`~mmcsted.datasets.BaseActorSegDataset` arguments.

    Each argument in full, and how samples are built: docs/dataset_prepare.md.
    """

    METAINFO = dict(
        dataset_name='A2D Sentences',
        actor_classes=A2D_ACTORS,
        action_classes=A2D_ACTIONS)
    SPLITS = tuple(SPLITS)
    MASK_FORMAT = 'a2d_h5'

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 video_source: str = 'auto',
                 frame_root: Optional[str] = None,
                 drop_copy_instances: bool = True,
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
        check_choice('class_source', class_source, ('video', 'instance'))
        check_choice('video_source', video_source, VIDEO_SOURCES)
        self.video_source = video_source
        self.frame_root = frame_root
        self.drop_copy_instances = drop_copy_instances
        self.cache_dir = cache_dir
        self.use_cache = use_cache
        self.progress = progress
        self.class_source = class_source
        self.query_flags_file = query_flags_file
        self.sample_list = sample_list
        self.sample_list_drop_last = sample_list_drop_last
        super().__init__(
            ann_file=ann_file, data_root=data_root, split=split, **kwargs)

    @staticmethod
    def read_mask(results: dict, backend_args: Optional[dict]):
        """The mask of ``instance_id`` in the frame's h5 ``mask_file``."""
        return load_a2d_mask(results['mask_file'], int(results['instance_id']),
                             backend_args), None

    # ------------------------------------------------------------------
    def load_data_list(self) -> List[dict]:
        root = self.data_root
        owner = self.owner
        skips = SkipCounter(owner)
        require_file(root, 'A2D Sentences data_root')
        videos = read_videoset(osp.join(root, VIDEOSET_FILE))
        if self.sample_list:
            return self._load_sample_list(videos)
        rows = read_a2d_annotations(self.ann_file)
        missed = read_missed_videos(osp.join(root, MISSED_FILE))
        # 1. Keep the rows of this split.
        kept_rows = self._split_rows(rows, videos, missed, skips)
        # 2. Read (or take from the cache) the mask files of these videos,
        # find their video files, check their mask folders.
        needed = list(dict.fromkeys(r.video_id for r, _ in kept_rows))
        index, sources = self._index_videos(needed)
        for vid in needed:
            _count_mask_folder_problems(vid, index.videos[vid], videos[vid],
                                        skips)
        missing_videos = [v for v in needed if sources[v] == (None, None)]
        self._report_missing_videos(missing_videos, skips)
        # 3. One sample per (query, annotated frame holding its instance).
        data_list = self._samples_of_rows(kept_rows, videos, index, sources,
                                          set(missing_videos), skips)
        data_list.sort(key=lambda d: (d['video_id'], d['frame_id'], d[
            'instance_id'], d['query']))
        self._log_samples_without_flags(owner)
        return self.finish_loading(data_list, skips)

    def _split_rows(self, rows: List[QueryRow], videos: Dict[str, VideoRecord],
                    missed: set,
                    skips: SkipCounter) -> List[Tuple[QueryRow, int]]:
        """The query rows of this split that name a usable instance, with
        their parsed instance id; the others are counted in ``skips``."""
        subset = SPLITS[self.split]
        kept_rows = []
        for row in rows:
            rec = videos.get(row.video_id)
            if rec is None:
                skips.add('query rows whose video is not in videoset.csv',
                          f'line {row.line}: {row.video_id}')
                continue
            if rec.subset != subset:
                continue
            if row.video_id in missed:
                skips.add(
                    'query rows of videos in a2d_missed_videos.txt',
                    row.video_id,
                    level=logging.INFO)
                continue
            iid, is_copy = parse_instance_id(row.instance_id)
            if is_copy and self.drop_copy_instances:
                skips.add(
                    "query rows with instance id '1 (copy)'",
                    f'line {row.line}: {row.video_id}',
                    level=logging.INFO)
                continue
            if iid is None:
                skips.add('query rows with a malformed instance id',
                          f'line {row.line}: {row.instance_id!r}')
                continue
            if not has_words(row.query):
                skips.add('query rows with an empty query',
                          f'line {row.line}: {row.video_id}')
                continue
            kept_rows.append((row, iid))
        return kept_rows

    def _index_videos(
            self,
            vids: Sequence[str]) -> Tuple[A2DMaskIndex, Dict[str, Source]]:
        """The mask index of ``vids`` (read or taken from the cache) and
        their video sources."""
        require_file(
            osp.join(self.data_root, MASK_DIR), 'A2D Sentences mask folder',
            'a2d_annotation_with_instances/ from the A2D Sentences tree')
        index = A2DMaskIndex(self.data_root, self.cache_dir, self.use_cache)
        index.update(vids, progress=self.progress)
        return index, {
            vid:
            resolve_video_source(self.data_root, vid, self.video_source,
                                 self.frame_root)
            for vid in vids
        }

    def _report_missing_videos(self, missing_videos: List[str],
                               skips: SkipCounter) -> None:
        """The missing-data policy for the videos whose files are missing
        (the error names where they were looked for)."""
        root = self.data_root
        frame_root = resolve_frame_root(root, self.frame_root)
        frame_where = (f'{FRAME_DIR}/<vid>/' if not self.frame_root else
                       osp.join(frame_root, '<vid>/'))
        where = {
            'mp4': f'{CLIP_DIR}/<vid>.mp4',
            'frames': frame_where,
            'auto': f'{CLIP_DIR}/<vid>.mp4 or {frame_where}'
        }[self.video_source]
        self.handle_missing(
            {
                v: [
                    osp.join(root, CLIP_DIR, f'{v}.mp4') if self.video_source
                    != 'frames' else osp.join(frame_root, v)
                ]
                for v in missing_videos
            }, skips, f'Videos are looked for as {where}. ')

    def _samples_of_rows(self, kept_rows: List[Tuple[QueryRow, int]],
                         videos: Dict[str, VideoRecord], index: A2DMaskIndex,
                         sources: Dict[str, Source], missing_videos: set,
                         skips: SkipCounter) -> List[dict]:
        """One sample per (query row, annotated frame holding its
        instance), unsorted; the pairs left out are counted in ``skips``."""
        self._load_query_flags()
        data_list = []
        for row, iid in kept_rows:
            vid = row.video_id
            entry = index.videos[vid]
            if entry.get('missing'):
                skips.add('query rows whose video has no mask folder',
                          f'line {row.line}: {vid}')
                continue
            n_samples = 0
            for item in entry['frames']:
                pos = _instance_position(item, vid, iid, skips)
                if pos is None:
                    continue
                if vid in missing_videos:
                    continue
                data_list.append(
                    self._sample(vid, videos[vid], item, pos, iid, row.query,
                                 sources[vid]))
                n_samples += 1
            if n_samples == 0:
                skips.add(
                    'queries whose instance is in none of the '
                    'annotated frames', f'line {row.line}: {vid}')
        return data_list

    def _sample(self, vid: str, rec: VideoRecord, item: Dict, pos: int,
                instance_id: int, query: str, source: Source) -> dict:
        """One sample: the mask-index ``item`` of the annotated frame, the
        instance at position ``pos`` of its mask file."""
        actors = self._metainfo.get('actor_classes', A2D_ACTORS)
        actions = self._metainfo.get('action_classes', A2D_ACTIONS)
        labels = item.get('labels') or []
        inst_label = labels[pos] if pos < len(labels) else -1
        actor_id, action_id = split_label(rec.label, len(actors), len(actions))
        if self.class_source == 'instance' and inst_label > 0:
            actor_id, action_id = split_label(inst_label, len(actors),
                                              len(actions))
        sample = dict(
            video_id=vid,
            frame_id=item['frame'],
            instance_id=instance_id,
            query=query,
            mask_file=osp.join(self.data_root, MASK_DIR, vid, item['file']),
            mask_format='a2d_h5',
            video_path=source[0],
            frame_dir=source[1],
            filename_tmpl=FRAME_TMPL,
            total_frames=rec.total_frames,
            height=rec.height,
            width=rec.width,
            label=rec.label,
            actor_class=actor_id,
            action_class=action_id,
            instance_label=inst_label)
        if self._flags is not None:
            key = (vid, instance_id, query)
            if key in self._flags:
                sample['query_flags'] = self._flags[key]
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
        needed = list(
            dict.fromkeys(r.video_id for r in rows if r.video_id in videos))
        index, sources = self._index_videos(needed)
        self._load_query_flags()
        data_list, errors = [], []
        for row in rows:
            item, pos, error = self._resolve_list_row(row, videos, index,
                                                      sources)
            if error:
                errors.append(error)
                continue
            vid = row.video_id
            data_list.append(
                self._sample(vid, videos[vid], item, pos, row.instance_id,
                             row.query, sources[vid]))
        if errors:
            raise ValueError(f'{owner}: {len(errors)} rows do not resolve '
                             f'against {root}: {limited_list(errors)}')
        self._log_samples_without_flags(owner)
        return data_list

    def _resolve_list_row(
        self, row, videos: Dict[str, VideoRecord], index: A2DMaskIndex,
        sources: Dict[str, Source]
    ) -> Tuple[Optional[Dict], Optional[int], Optional[str]]:
        """(mask-index item, instance position, None) for a sample-list row
        that resolves against the tree, else (None, None, the reason)."""
        vid = row.video_id
        name = (f'row {row.line} ({vid}/{row.frame_id:05d}, instance '
                f'{row.instance_id}, {row.query!r})')
        if vid not in videos:
            return None, None, f'{name}: video not in {VIDEOSET_FILE}'
        entry = index.videos[vid]
        item = next(
            (it
             for it in entry.get('frames', []) if it['frame'] == row.frame_id),
            None)
        if item is None or 'error' in item:
            return None, None, (f'{name}: no readable mask file '
                                f'{MASK_DIR}/{vid}/{row.frame_id:05d}.h5' +
                                (f' ({item["error"]})' if item else ''))
        instances = item['instances']
        if row.instance_id not in instances:
            return None, None, (f'{name}: instance {row.instance_id} not in '
                                f'the mask file (instances {instances})')
        pos = instances.index(row.instance_id)
        if pos >= item['num_masks']:
            return None, None, (f'{name}: instance {row.instance_id} has no '
                                'stored mask (more ids than masks)')
        if sources[vid] == (None, None):
            return None, None, (f'{name}: video file/frames not found '
                                f'(video_source={self.video_source!r})')
        return item, pos, None

    def _load_query_flags(self) -> None:
        """``self._flags``: (video, instance, query) -> flags, or None."""
        self._without_flags: List[Tuple[str, int, str]] = []
        self.num_without_flags = 0
        self._flags = None
        if not self.query_flags_file:
            return
        path = self.query_flags_file
        if not osp.isabs(path):
            path = osp.join(self.data_root, path)
        data = read_json(path, 'query flags file')
        queries = data['queries'] if isinstance(data, dict) else data
        flags = {}
        for q in queries:
            key = (q['video_id'], int(q['instance_id']), q['query'])
            flags[key] = {k: v for k, v in q.items() if isinstance(v, bool)}
            if 'position_word' in q:
                flags[key]['position'] = bool(q['position_word'])
        self._flags = flags


def _count_mask_folder_problems(vid: str, entry: Dict, rec: VideoRecord,
                                skips: SkipCounter) -> None:
    """Count in ``skips`` what is wrong with a video's mask folder: absent,
    unreadable files, stray names, fewer files than videoset.csv lists."""
    if entry.get('missing'):
        skips.add(
            'missing mask files (whole mask folder absent)',
            osp.join(MASK_DIR, vid),
            n=max(rec.annotated_frames, 1))
        return
    for item in entry['frames']:
        if 'error' in item:
            skips.add(
                'unreadable mask files',
                f'{osp.join(MASK_DIR, vid, item["file"])}: '
                f'{item["error"]}')
    for name in entry.get('bad_names', []):
        skips.add(
            'files in a mask folder not named <frame>.h5',
            osp.join(MASK_DIR, vid, name),
            level=logging.INFO)
    found = len(entry['frames'])
    if found < rec.annotated_frames:
        skips.add(
            'missing mask files (fewer .h5 files than videoset.csv '
            'lists annotated frames)',
            f'{vid}: {found} of {rec.annotated_frames}',
            n=rec.annotated_frames - found)


def _instance_position(item: Dict, vid: str, iid: int,
                       skips: SkipCounter) -> Optional[int]:
    """Where instance ``iid`` is among the masks of a mask-index ``item``;
    None (counted in ``skips`` unless the file is unreadable, which is
    counted once per file) when it has no mask there."""
    if 'error' in item:
        return None
    instances = item['instances']
    if iid not in instances:
        skips.add(
            '(query, frame) pairs whose instance is absent '
            'from the frame',
            level=logging.INFO)
        return None
    pos = instances.index(iid)
    if pos >= item['num_masks']:
        skips.add(
            '(query, frame) pairs whose instance has no stored '
            'mask (more ids than masks)',
            f'{vid}/{item["file"]} instance {iid}')
        return None
    return pos
