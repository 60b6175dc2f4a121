"""What is missing or malformed in a user's Ref-DAVIS17 tree (used by
``tools/data/ref_davis17/check_tree.py``); layout in
:class:`~mmcsted.datasets.RefDAVIS17Dataset`."""
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

from mmcsted.datasets import ref_davis as rd
from mmcsted.text import has_words
from . import ref_davis_expressions as rde
from .ref_vos_tree_check import not_jpeg_files
from .tree_check import CheckReport

#: videos of DAVIS 2017 trainval (ReferFormer's converter: 60 + 30)
REF_DAVIS17_EXPECTED_VIDEOS = dict(train=60, val=30)


def check_ref_davis17_tree(
        root: str,
        read_masks: bool = True,
        limit: int = 10,
        scans: Optional[Dict[str, dict]] = None) -> CheckReport:
    """Check a Ref-DAVIS17 tree.

    Errors: a required file or folder, a video of a split (frame or mask
    folder) or a mask file that cannot be read. Warnings: frames without a
    mask, malformed expression lines, expression videos that are no DAVIS
    folder, expressions whose object is in no mask of its video (only with
    ``read_masks``, which reads every mask once), split sizes other than the
    CSTM's. Notes: per file its encoding (annotator 2's files are
    Latin-1) and the misspelt video names it fixed, per split and run the
    number of expressions. ``scans``: a dict that receives the
    :func:`~.ref_davis_expressions.scan_davis_video` of each video on disk
    (``prepare.py`` hands them on, so that the masks are read once).
    """
    r = CheckReport(f'Ref-DAVIS17 at {root}', limit)
    _check_required(r, root)
    image_root = osp.join(root, rd.IMAGE_DIR)
    folders = sorted(os.listdir(image_root)) if osp.isdir(image_root) else []
    scans, split_of = _check_split_videos(r, root, read_masks, scans)
    for run, name in rde.RUN_FILES.items():
        path = osp.join(root, rde.TEXT_DIR, name)
        if osp.isfile(path):
            _check_expression_file(r, path, run, folders, scans, split_of,
                                   read_masks)
    return r


def _check_required(r: CheckReport, root: str) -> None:
    """Split lists, frame and mask folders, the four expression files; the
    semi-supervised masks in place of the unsupervised ones are named."""
    required = [(osp.join(rd.SPLIT_DIR, f'{s}.txt'), f'{s} video list')
                for s in rd.SPLITS]
    required += [(rd.IMAGE_DIR, 'frame folder'),
                 (rd.MASK_DIR, 'unsupervised mask folder')]
    required += [(osp.join(rde.TEXT_DIR, f), f'expressions ({run})')
                 for run, f in rde.RUN_FILES.items()]
    for rel, what in required:
        if not osp.exists(osp.join(root, rel)):
            r.error(f'{what} not found: {osp.join(root, rel)}')
    semi = osp.join(root, 'DAVIS', 'Annotations', '480p')
    if not osp.isdir(osp.join(root, rd.MASK_DIR)) and osp.isdir(semi):
        r.error(f'{semi} is the semi-supervised annotation (objects of the '
                'first frame only); Ref-DAVIS17 is scored on '
                'Annotations_unsupervised (DAVIS-2017-Unsupervised-'
                'trainval-480p)')


def _check_split_videos(
        r: CheckReport, root: str, read_masks: bool,
        scans: Optional[Dict[str, dict]]) -> Tuple[Dict[str, dict], Dict]:
    """The videos of each split list on disk; returns ``(scans,
    split_of)``: video -> :func:`~.ref_davis_expressions.scan_davis_video`
    of the videos on disk, and video -> split of every listed video."""
    scans = OrderedDict() if scans is None else scans
    split_of: Dict[str, str] = {}
    for split in rd.SPLITS:
        path = osp.join(root, rd.SPLIT_DIR, f'{split}.txt')
        if not osp.isfile(path):
            continue
        videos = rde.read_davis_split(path)
        expected = REF_DAVIS17_EXPECTED_VIDEOS[split]
        if len(videos) != expected:
            r.warn(f'{split}.txt lists {len(videos)} videos, the release '
                   f'{expected}')
        missing, no_mask, errors, no_frame, not_jpeg = [], [], [], [], []
        for video in videos:
            scan = rde.scan_davis_video(root, video, read_masks)
            split_of[video] = split
            if scan['missing']:
                missing += scan['missing']
                continue
            scans[video] = scan
            no_mask += [f'{video}/{n}' for n in scan['frames_without_mask']]
            no_frame += [f'{video}/{n}' for n in scan['masks_without_frame']]
            not_jpeg += not_jpeg_files(scan['frame_dir'], scan['frame_names'],
                                       video)
            errors += scan['mask_errors']
        if missing:
            r.error(f'{split}: frame / mask folders missing', missing)
        if no_mask:
            r.warn(f'{split}: frames without a mask PNG', no_mask)
        if no_frame:
            r.error(f'{split}: frames missing (a mask PNG without its JPEG)',
                    no_frame)
        if not_jpeg:
            r.error(f'{split}: frames that are not JPEG files', not_jpeg)
        if errors:
            r.error(f'{split}: unreadable mask files', errors)
        on_disk = sum(v in scans for v in videos)
        r.note(f'{split}: {len(videos)} videos listed, {on_disk} on disk')
    return scans, split_of


def _check_expression_file(r: CheckReport, path: str, run: str,
                           folders: List[str], scans: Dict[str, dict],
                           split_of: Dict[str, str], read_masks: bool) -> None:
    """One run's expression file: its parse stats, expressions per split,
    expressions whose object is in no mask (with ``read_masks``)."""
    name = osp.basename(path)
    records, stats = rde.parse_davis_text_annotations(
        path, folder_names=folders or None)
    fixed = ', '.join(f'{a} -> {b}' for a, b in stats['renamed'].items())
    r.note(f'{name}: {stats["num_expressions"]} expressions, '
           f'{stats["encoding"]}' +
           (f'; video names fixed: {fixed}' if fixed else ''))
    if not stats['encoding'].startswith('utf-8'):
        r.warn(f'{name}: not valid UTF-8, read as {stats["encoding"]}: '
               'check that its accented letters read right')
    if stats['malformed_lines']:
        r.warn(f'{name}: malformed lines (skipped)', stats['malformed_lines'])
    if stats['unquoted_lines']:
        r.warn(f'{name}: expressions without quotes (kept)',
               stats['unquoted_lines'])
    if folders and stats['unknown_videos']:
        r.warn(f'{name}: videos that are no DAVIS folder',
               stats['unknown_videos'])
    empty = [
        f'{name}:{rec["line"]} {rec["video"]}' for rec in records
        if not has_words(rec['expression'])
    ]
    if empty:
        r.warn(f'{name}: expressions with an empty query (skipped)', empty)
    counts = {s: 0 for s in rd.SPLITS}
    absent: List[str] = []
    for rec in records:
        split = split_of.get(rec['video'])
        if split is not None:
            counts[split] += 1
        scan = scans.get(rec['video'])
        if (read_masks and scan is not None
                and rec['obj_id'] not in scan['object_ids']):
            absent.append(f'{name}:{rec["line"]} {rec["video"]} object '
                          f'{rec["obj_id"]} (masks hold '
                          f'{scan["object_ids"]})')
    r.note(f'{run}: ' + ', '.join(f'{s} {n} expressions'
                                  for s, n in counts.items()))
    if absent:
        r.warn(
            f'{name}: expressions whose object is in no mask '
            '(prepare.py leaves them out)', absent)
