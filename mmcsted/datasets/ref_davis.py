"""Ref-DAVIS17 (Khoreva et al., ACCV 2018): the expression files and the
DAVIS 2017 tree beside them (layout, encodings: docs/dataset_prepare.md).
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from mmengine import fileio
from mmengine.logging import print_log

from mmcsted.registry import DATASETS
from mmcsted.text import has_words
from mmcsted.utils.video_io import read_index_png
from .base import read_index_png_sample
from .ref_vos_base import BaseRefVOSDataset
from .utils import SkipCounter, list_names, require_file

IMAGE_DIR = osp.join('DAVIS', 'JPEGImages', '480p')
#: the unsupervised-task masks: every object of every frame, 255 = void
MASK_DIR = osp.join('DAVIS', 'Annotations_unsupervised', '480p')
SPLIT_DIR = osp.join('DAVIS', 'ImageSets', '2017')
TEXT_DIR = 'davis_text_annotations'
SPLITS = ('train', 'val')
VOID_LABEL = 255

#: The four annotation runs of ReferFormer's protocol (its ``anno_0`` ..
#: ``anno_3``, in this order) and their expression files.
RUN_FILES: 'OrderedDict[str, str]' = OrderedDict([
    ('anno1_first_frame', 'Davis17_annot1.txt'),
    ('anno1_full_video', 'Davis17_annot1_full_video.txt'),
    ('anno2_first_frame', 'Davis17_annot2.txt'),
    ('anno2_full_video', 'Davis17_annot2_full_video.txt'),
])
RUNS: Tuple[str, ...] = tuple(RUN_FILES)

#: Video names that the annotation files spell differently from the DAVIS
#: 2017 folders (``JPEGImages/480p/<video>``): spelling in the file -> folder
#: name. These three are the ones the public Ref-DAVIS17 converters (e.g.
#: ReferFormer's ``convert_davis_to_ytvos.py``) rename; any other name that is
#: not among the folder names passed to the parser is reported, not renamed.
VIDEO_NAME_FIXES: Dict[str, str] = {
    'clasic-car': 'classic-car',
    'dog-scale': 'dogs-scale',
    'motor-bike': 'motorbike',
}


def _decode(raw: bytes) -> Tuple[str, str]:
    """Text of a file and the encoding used: UTF-8 (BOM allowed), else
    Latin-1 (which decodes any byte string)."""
    try:
        return raw.decode('utf-8-sig'), 'utf-8'
    except UnicodeDecodeError:
        return raw.decode('latin-1'), 'latin-1'


def _parse_line(line: str) -> Optional[Tuple[str, int, str, bool]]:
    """(video, obj_id, expression, quoted) of one line, None if malformed."""
    parts = line.split(None, 2)
    if len(parts) != 3:
        return None
    video, obj_id, expression = parts
    try:
        obj_id = int(obj_id)
    except ValueError:
        return None
    expression = expression.strip()
    quoted = (
        len(expression) >= 2 and expression.startswith('"')
        and expression.endswith('"'))
    if quoted:
        expression = expression[1:-1].strip()
    if not expression or obj_id < 1:
        return None
    return video, obj_id, expression, quoted


def parse_davis_text_annotations(
        path: str,
        folder_names: Optional[Iterable[str]] = None,
        backend_args: Optional[dict] = None) -> Tuple[List[dict], dict]:
    """Read one Ref-DAVIS17 expression file (``<video> <obj_id> "<expr>"`` a
    line; UTF-8, else Latin-1); video names are fixed by
    :data:`VIDEO_NAME_FIXES`.

    Args:
        path (str): a ``Davis17_annot{1,2}[_full_video].txt`` file.
        folder_names (Iterable[str], optional): the DAVIS video folders; names
            not among them are logged and listed as ``unknown_videos``.
        backend_args (dict, optional): the :mod:`mmengine.fileio` backend.

    Returns:
        tuple[list[dict], dict]: per expression: ``video``, ``obj_id``,
        ``expression``, ``line``, ``source_video``; and the stats of the file
        (blank, malformed (skipped) and unquoted (kept) lines, all logged).
    """
    text, encoding = _decode(fileio.get(path, backend_args=backend_args))
    records, stats = _parse_lines(text.splitlines(), VIDEO_NAME_FIXES,
                                  encoding)
    if folder_names is not None:
        known = set(folder_names)
        stats['unknown_videos'] = sorted(
            {r['video']
             for r in records if r['video'] not in known})
    _log_parse_stats(osp.basename(path), records, stats)
    return records, stats


def _parse_lines(lines: List[str], fixes: Dict[str, str],
                 encoding: str) -> Tuple[List[dict], dict]:
    """The records and stats of :func:`parse_davis_text_annotations`
    (``unknown_videos`` left empty)."""
    records: List[dict] = []
    stats = dict(
        encoding=encoding,
        num_lines=len(lines),
        num_expressions=0,
        blank_lines=[],
        malformed_lines=[],
        unquoted_lines=[],
        renamed={},
        unknown_videos=[])
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            stats['blank_lines'].append(lineno)
            continue
        parsed = _parse_line(line)
        if parsed is None:
            stats['malformed_lines'].append(lineno)
            continue
        source_video, obj_id, expression, quoted = parsed
        if not quoted:
            stats['unquoted_lines'].append(lineno)
        video = fixes.get(source_video, source_video)
        if video != source_video:
            stats['renamed'][source_video] = video
        records.append(
            dict(
                video=video,
                obj_id=obj_id,
                expression=expression,
                line=lineno,
                source_video=source_video))
    stats['num_expressions'] = len(records)
    return records, stats


def _log_parse_stats(name: str, records: List[dict], stats: dict) -> None:
    """One INFO line per file; a WARNING per kind of odd line and for
    unknown videos."""
    print_log(
        f'{name}: {len(records)} expressions ({stats["encoding"]}) from '
        f'{stats["num_lines"]} lines',
        logger='current')
    for key, what in (('blank_lines', 'blank'), ('malformed_lines',
                                                 'malformed (skipped)'),
                      ('unquoted_lines', 'without quotes (kept)')):
        if stats[key]:
            print_log(
                f'{name}: {len(stats[key])} {what} line(s): '
                f'{stats[key][:20]}',
                logger='current',
                level=30)
    if stats['unknown_videos']:
        print_log(
            f'{name}: videos not among the DAVIS folders: '
            f'{stats["unknown_videos"]}',
            logger='current',
            level=30)


def read_davis_split(path: str,
                     backend_args: Optional[dict] = None) -> List[str]:
    """Video names of ``ImageSets/2017/<split>.txt`` (one a line)."""
    require_file(path, 'DAVIS 2017 split list',
                 'DAVIS/ImageSets/2017/{train,val}.txt from DAVIS 2017',
                 backend_args)
    text = fileio.get_text(path, encoding='utf-8', backend_args=backend_args)
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def mask_object_ids(path: str,
                    backend_args: Optional[dict] = None) -> List[int]:
    """Object ids present in one DAVIS palette PNG (0 and void left out)."""
    ids = np.unique(read_index_png(path, backend_args))
    return [int(v) for v in ids if v not in (0, VOID_LABEL)]


def scan_davis_video(data_root: str,
                     video: str,
                     read_object_ids: bool = True,
                     backend_args: Optional[dict] = None) -> dict:
    """What the tree holds for one video: ``frame_dir``, ``mask_dir``,
    ``frame_names``, ``missing`` folders, ``frames_without_mask``,
    ``masks_without_frame`` (a missing frame), ``object_ids`` (with
    ``read_object_ids``) and ``mask_errors``.
    """
    frame_dir = osp.join(data_root, IMAGE_DIR, video)
    mask_dir = osp.join(data_root, MASK_DIR, video)
    info = dict(
        frame_dir=frame_dir,
        mask_dir=mask_dir,
        frame_names=[],
        missing=[],
        frames_without_mask=[],
        masks_without_frame=[],
        object_ids=[],
        mask_errors=[])
    for d in (frame_dir, mask_dir):
        if not fileio.isdir(d, backend_args=backend_args):
            info['missing'].append(d)
    if info['missing']:
        return info
    names = list_names(frame_dir, suffix='.jpg', backend_args=backend_args)
    info['frame_names'] = names
    masks = {
        osp.splitext(n)[0]
        for n in list_names(
            mask_dir, suffix='.png', backend_args=backend_args)
    }
    info['frames_without_mask'] = [
        n for n in names if osp.splitext(n)[0] not in masks
    ]
    stems = {osp.splitext(n)[0] for n in names}
    info['masks_without_frame'] = sorted(m + '.png' for m in masks
                                         if m not in stems)
    if read_object_ids:
        ids = set()
        for n in names:
            stem = osp.splitext(n)[0]
            if stem not in masks:
                continue
            path = osp.join(mask_dir, stem + '.png')
            try:
                ids.update(mask_object_ids(path, backend_args))
            except Exception as e:  # a damaged file is reported, not fatal
                info['mask_errors'].append(f'{path}: {e}')
        info['object_ids'] = sorted(ids)
    return info


@DATASETS.register_module()
class RefDAVIS17Dataset(BaseRefVOSDataset):
    """Ref-DAVIS17: one sample per (expression, frame with a mask) of the four
    annotation runs (:data:`RUNS`), scored per run by
    :class:`~mmcsted.evaluation.RefDAVIS17Metric`.

    Args:
        data_root: the folder holding ``DAVIS/`` and
            ``davis_text_annotations/``.
        split: ``'val'`` (default) or ``'train'``.
        runs: the runs to read (default all four).
        check_object_ids: skip (count, log) an expression whose object is in
            no mask of its video. Default True.
        **kwargs: :class:`BaseRefVOSDataset` arguments.

    Sample keys (``exp_id`` is ``'<run>_<k>'``): docs/dataset_prepare.md.
    """

    METAINFO = dict(dataset_name='Ref-DAVIS17', runs=RUNS)
    SPLITS = SPLITS
    MASK_FORMAT = 'index_png'
    read_mask = staticmethod(read_index_png_sample)

    def __init__(self,
                 data_root: str,
                 split: str = 'val',
                 runs: Sequence[str] = RUNS,
                 check_object_ids: bool = True,
                 **kwargs):
        runs = [runs] if isinstance(runs, str) else list(runs)
        bad = [r for r in runs if r not in RUN_FILES]
        if bad or not runs or len(set(runs)) != len(runs):
            raise ValueError(f'runs must be distinct names among {RUNS}, '
                             f'got {runs}')
        self.runs = tuple(runs)
        self.check_object_ids = check_object_ids
        self.skip_examples: Dict[str, List[str]] = {}
        self.file_stats: Dict[str, dict] = {}
        super().__init__(data_root=data_root, split=split, **kwargs)

    def _split_videos(self, skips: SkipCounter) -> 'OrderedDict[str, dict]':
        """The videos of the split file, each with its frames that have a
        mask and the expressions of all runs (``'<run>_<k>'``)."""
        self._skips = skips  # its examples become ``skip_examples``
        root = self.data_root
        videos = read_davis_split(
            osp.join(root, SPLIT_DIR, f'{self.split}.txt'), self.backend_args)
        image_dir = require_file(
            osp.join(root, IMAGE_DIR), 'DAVIS 2017 frame folder',
            'DAVIS-2017-trainval-480p: DAVIS/JPEGImages/480p',
            self.backend_args)
        self._scans = OrderedDict()
        entries = OrderedDict()
        for video in videos:
            scan = scan_davis_video(root, video, self.check_object_ids,
                                    self.backend_args)
            self._scans[video] = scan
            for name in scan['frames_without_mask']:
                skips.add('frames without a mask PNG', f'{video}/{name}')
            for err in scan['mask_errors']:
                skips.add('unreadable mask files', err)
            without = set(scan['frames_without_mask'])
            entries[video] = dict(
                frames=[
                    osp.splitext(n)[0] for n in scan['frame_names']
                    if n not in without
                ],
                expressions=OrderedDict())
        folders = list_names(image_dir, True, backend_args=self.backend_args)
        for run in self.runs:
            self._add_run_expressions(run, folders, entries, skips)
        return entries

    def _add_run_expressions(self, run: str, folders: List[str],
                             entries: Dict[str,
                                           dict], skips: SkipCounter) -> None:
        """Add one run's expressions to the ``expressions`` of ``entries``;
        the k-th kept one of a video is ``'<run>_<k>'``."""
        path = require_file(
            osp.join(self.data_root, TEXT_DIR,
                     RUN_FILES[run]), f'Ref-DAVIS17 expression file ({run})',
            'davis_text_annotations/ of the Ref-DAVIS17 tree',
            self.backend_args)
        records, stats = parse_davis_text_annotations(
            path, folder_names=folders, backend_args=self.backend_args)
        self.file_stats[run] = stats
        if stats['malformed_lines']:
            skips.add(
                'malformed expression lines', f'{RUN_FILES[run]} lines '
                f'{stats["malformed_lines"][:5]}',
                n=len(stats['malformed_lines']))
        present = {v for v, s in self._scans.items() if not s['missing']}
        per_video: Dict[str, int] = {}
        seen_objects = set()
        for rec in records:
            video = rec['video']
            if video not in present:
                continue  # another split, or a missing video
            where = f'{RUN_FILES[run]}:{rec["line"]} {video}'
            # checked here, before the numbering, so that exp_ids count the
            # scored expressions only
            if not has_words(rec['expression']):
                skips.add('expressions with an empty query', where)
                continue
            if (self.check_object_ids
                    and rec['obj_id'] not in self._scans[video]['object_ids']):
                skips.add('expressions whose object is not in the masks',
                          f'{where} object {rec["obj_id"]}')
                continue
            if (video, rec['obj_id']) in seen_objects:
                # kept: the metric scores each expression as a proposal
                skips.add('second expressions for one object in a run (kept)',
                          f'{where} object {rec["obj_id"]}')
            seen_objects.add((video, rec['obj_id']))
            k = per_video.get(video, 0)
            per_video[video] = k + 1
            entries[video]['expressions'][f'{run}_{k}'] = dict(
                exp=rec['expression'], obj_id=rec['obj_id'], run=run)
        for video in self._scans:
            if video in present and video not in per_video:
                skips.add('videos without an expression in a run',
                          f'{video} ({run})')

    def _frame_dir(self, vid: str) -> str:
        return self._scans[vid]['frame_dir']

    def _missing_folders(self, vid: str) -> List[str]:
        return self._scans[vid]['missing']

    def _expression_fields(self, vid: str, exp_id: str, exp: dict,
                           frames: List[str],
                           skips: SkipCounter) -> Optional[dict]:
        return dict(
            run=exp['run'],
            annotator=int(exp['run'][len('anno')]),
            object_ids=[exp['obj_id']],
            total_frames=len(frames))

    def _frame_fields(self, vid: str, fields: dict, frame_index: int,
                      frame: str) -> dict:
        return dict(
            mask_format='index_png',
            mask_file=osp.join(self._scans[vid]['mask_dir'], frame + '.png'),
            void_label=VOID_LABEL)

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        self.skip_examples = {
            k: list(v)
            for k, v in self._skips.examples.items()
        }
        return data_list
