"""Ref-DAVIS17's expression files (``davis_text_annotations/``) read, and
turned into the ``meta_expressions/<split>/meta_expressions.json`` that
:class:`~mmcsted.datasets.RefDAVIS17Dataset` reads (used by
``tools/data/ref_davis17/{prepare,check_tree}.py``). Layout, encodings and the
file's fields: docs/dataset_prepare.md."""
import os.path as osp
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np
from mmengine.logging import print_log

from mmcsted.datasets import ref_davis as rd
from mmcsted.datasets.utils import SkipCounter, list_names, require_file
from mmcsted.text import has_words
from mmcsted.utils.atomic_write import atomic_write_json
from mmcsted.utils.video_io import read_index_png

TEXT_DIR = 'davis_text_annotations'
#: The expression file of each run (:data:`~mmcsted.datasets.ref_davis.RUNS`,
#: ReferFormer's ``anno_0`` .. ``anno_3`` in this order).
RUN_FILES: 'OrderedDict[str, str]' = OrderedDict(
    zip(rd.RUNS, ('Davis17_annot1.txt', 'Davis17_annot1_full_video.txt',
                  'Davis17_annot2.txt', 'Davis17_annot2_full_video.txt')))

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
        folder_names: Optional[Iterable[str]] = None
) -> Tuple[List[dict], dict]:
    """Read one Ref-DAVIS17 expression file (``<video> <obj_id> "<expr>"`` a
    line; UTF-8, else Latin-1); video names are fixed by
    :data:`VIDEO_NAME_FIXES`.

    Args:
        path (str): a ``Davis17_annot{1,2}[_full_video].txt`` file.
        folder_names (Iterable[str], optional): the DAVIS video folders; names
            not among them are logged and listed as ``unknown_videos``.

    Returns:
        tuple[list[dict], dict]: per expression: ``video``, ``obj_id``,
        ``expression``, ``line``, ``source_video``; and the stats of the file
        (blank, malformed (skipped) and unquoted (kept) lines, all logged).
    """
    with open(path, 'rb') as f:
        text, encoding = _decode(f.read())
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


def read_davis_split(path: str) -> List[str]:
    """Video names of ``ImageSets/2017/<split>.txt`` (one a line)."""
    require_file(path, 'DAVIS 2017 split list',
                 'DAVIS/ImageSets/2017/{train,val}.txt from DAVIS 2017')
    with open(path, encoding='utf-8') as f:
        text = f.read()
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def mask_object_ids(path: str) -> List[int]:
    """Object ids present in one DAVIS palette PNG (0 and void left out)."""
    ids = np.unique(read_index_png(path))
    return [int(v) for v in ids if v not in (0, rd.VOID_LABEL)]


def scan_davis_video(data_root: str,
                     video: str,
                     read_object_ids: bool = True) -> dict:
    """What the tree holds for one video: ``frame_dir``, ``mask_dir``,
    ``frame_names``, ``missing`` folders, ``frames_without_mask``,
    ``masks_without_frame`` (a missing frame), ``object_ids`` (with
    ``read_object_ids``) and ``mask_errors``.
    """
    frame_dir = osp.join(data_root, rd.IMAGE_DIR, video)
    mask_dir = osp.join(data_root, rd.MASK_DIR, video)
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
        if not osp.isdir(d):
            info['missing'].append(d)
    if info['missing']:
        return info
    names = list_names(frame_dir, suffix='.jpg')
    info['frame_names'] = names
    masks = {osp.splitext(n)[0] for n in list_names(mask_dir, suffix='.png')}
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
                ids.update(mask_object_ids(path))
            except Exception as e:  # a damaged file is reported, not fatal
                info['mask_errors'].append(f'{path}: {e}')
        info['object_ids'] = sorted(ids)
    return info


def read_expression_files(root: str) -> Dict[str, Tuple[List[dict], dict]]:
    """run -> :func:`parse_davis_text_annotations` of its file, the video
    names checked against the DAVIS frame folders."""
    image_dir = require_file(
        osp.join(root, rd.IMAGE_DIR), 'DAVIS 2017 frame folder',
        'DAVIS-2017-trainval-480p: DAVIS/JPEGImages/480p')
    folders = list_names(image_dir, True)
    return {
        run:
        parse_davis_text_annotations(
            require_file(
                osp.join(root, TEXT_DIR, RUN_FILES[run]),
                f'Ref-DAVIS17 expression file ({run})',
                'davis_text_annotations/ of the Ref-DAVIS17 tree'), folders)
        for run in rd.RUNS
    }


def build_meta_expressions(
        root: str,
        split: str,
        parsed: Dict[str, tuple],
        skips: SkipCounter,
        scans: Optional[Dict[str, dict]] = None) -> 'OrderedDict[str, dict]':
    """The ``videos`` of one split's ``meta_expressions.json``: per video of
    the split file (in its order) ``frames``, the frames with a mask PNG, and
    ``expressions``, run by run ``'<run>_<k>'`` -> ``exp``, ``obj_id``,
    ``run``, ``k`` counting the run's kept expressions of the video in file
    order. ``parsed``: :func:`read_expression_files`. Left out, counted in
    ``skips``: frames without a mask PNG, malformed lines, expressions
    without a word or whose object is in no mask of the video. A video whose
    folders are missing is kept without frames, so that the dataset names
    it. ``scans``: :func:`scan_davis_video` results (object ids read) to
    reuse."""
    videos = read_davis_split(osp.join(root, rd.SPLIT_DIR, f'{split}.txt'))
    known, scans, entries = scans or {}, OrderedDict(), OrderedDict()
    for video in videos:
        scan = scans[video] = known.get(video) or scan_davis_video(root, video)
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
    for run in rd.RUNS:
        _add_run_expressions(run, *parsed[run], scans, entries, skips)
    return entries


def _add_run_expressions(run: str, records: List[dict], stats: dict,
                         scans: Dict[str, dict], entries: Dict[str, dict],
                         skips: SkipCounter) -> None:
    """Add one run's expressions to the ``expressions`` of ``entries``."""
    if stats['malformed_lines']:
        skips.add(
            'malformed expression lines',
            f'{RUN_FILES[run]} lines {stats["malformed_lines"][:5]}',
            n=len(stats['malformed_lines']))
    present = {v for v, s in scans.items() if not s['missing']}
    per_video: Dict[str, int] = {}
    seen_objects = set()
    for rec in records:
        video = rec['video']
        if video not in present:
            continue  # another split, or a missing video
        where = f'{RUN_FILES[run]}:{rec["line"]} {video}'
        # checked before the numbering: exp_ids count the scored expressions
        if not has_words(rec['expression']):
            skips.add('expressions with an empty query', where)
            continue
        if rec['obj_id'] not in scans[video]['object_ids']:
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
    for video in present:
        if video not in per_video:
            skips.add('videos without an expression in a run',
                      f'{video} ({run})')


def write_meta_expressions(
    root: str,
    scans: Optional[Dict[str,
                         dict]] = None) -> Dict[str, Tuple[str, SkipCounter]]:
    """Write ``<root>/meta_expressions/<split>/meta_expressions.json`` of both
    splits (atomically; what each left out is logged); returns split ->
    (path, skips). ``scans``: as for :func:`build_meta_expressions`."""
    out, parsed = {}, read_expression_files(root)
    for split in rd.SPLITS:
        skips = SkipCounter(f'Ref-DAVIS17 {split}')
        videos = build_meta_expressions(root, split, parsed, skips, scans)
        path = osp.join(root, rd.META_EXPRESSIONS_TMPL.format(split))
        atomic_write_json(dict(videos=videos), path, indent=1)
        n = sum(len(e['expressions']) for e in videos.values())
        print_log(
            f'{path}: {len(videos)} videos, {n} expressions', logger='current')
        skips.log_summary()
        out[split] = (path, skips)
    return out
