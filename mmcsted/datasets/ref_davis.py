"""Ref-DAVIS17 (Khoreva et al., ACCV 2018): the referring-expression files.

``davis_text_annotations/`` holds four files, two annotators x two settings:

* ``Davis17_annot1.txt`` / ``Davis17_annot2.txt``: expressions written from
  the first frame;
* ``Davis17_annot1_full_video.txt`` / ``Davis17_annot2_full_video.txt``:
  expressions written after watching the whole video.

Each line reads ``<video> <obj_id> "<expression>"``, ``obj_id`` being the
object's index in the DAVIS 2017 palette masks (1-based). The files of
annotator 1 are UTF-8; those of annotator 2 are Latin-1 (accented letters are
single bytes that are invalid UTF-8). :func:`parse_davis_text_annotations`
reads the bytes, decodes them as UTF-8 and, if that fails, as Latin-1 (per
file, not per line).

Only the parser lives here for now; the dataset class (videos, frames,
masks) comes with the rest of Ref-DAVIS17 support.
"""
import os.path as osp
from typing import Dict, Iterable, List, Optional, Tuple, Union

from mmengine.logging import print_log

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
        name_fixes: Optional[Dict[str, str]] = None,
        return_stats: bool = False
) -> Union[List[dict], Tuple[List[dict], dict]]:
    """Read one Ref-DAVIS17 expression file.

    Args:
        path (str): a ``Davis17_annot{1,2}[_full_video].txt`` file.
        folder_names (Iterable[str], optional): the DAVIS video folder names;
            when given, every video name (after ``name_fixes``) that is not
            among them is logged and listed in the stats as ``unknown_videos``
            (its records are kept).
        name_fixes (dict, optional): spelling in the file -> folder name.
            Defaults to :data:`VIDEO_NAME_FIXES`.
        return_stats (bool): also return the stats. Defaults to False.

    Returns:
        list[dict]: one dict per expression, in file order: ``video`` (folder
        name), ``obj_id`` (int), ``expression`` (quotes removed), ``line``
        (1-based line number), ``source_video`` (the name as the file spells
        it). With ``return_stats``, also a dict: ``encoding``
        ('utf-8' / 'latin-1'), ``num_lines``, ``num_expressions``,
        ``blank_lines`` / ``malformed_lines`` (lists of line numbers),
        ``unquoted_lines`` (expressions without the surrounding quotes, kept),
        ``renamed`` (file name -> folder name, as applied) and
        ``unknown_videos`` (sorted).

    Blank, malformed (not ``<video> <int obj_id> <expression>``) and unquoted
    lines are counted and logged, never dropped silently.
    """
    fixes = VIDEO_NAME_FIXES if name_fixes is None else name_fixes
    with open(path, 'rb') as f:
        text, encoding = _decode(f.read())
    lines = text.splitlines()
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
    if folder_names is not None:
        known = set(folder_names)
        stats['unknown_videos'] = sorted(
            {r['video']
             for r in records if r['video'] not in known})

    name = osp.basename(path)
    print_log(
        f'{name}: {len(records)} expressions ({encoding}) from '
        f'{len(lines)} lines',
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
    if return_stats:
        return records, stats
    return records
