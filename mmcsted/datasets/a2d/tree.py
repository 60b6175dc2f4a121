"""The A2D Sentences tree: class names, where each file lives under
``data_root``, where a video's mp4 or extracted frames are, and parsers of its
text files (``videoset.csv``, the query annotations, the missed-video list,
the CSTM's sample lists) with the instance-id and label conventions they use.
"""
import csv
import logging
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import List, NamedTuple, Optional, Sequence, Tuple

from mmengine.logging import print_log

from mmcsted.utils.misc import check_choice
from ..utils import limited_list, read_csv_rows, require_file

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

SPLITS = {'train': 0, 'test': 1}
VIDEO_SOURCES = ('auto', 'mp4', 'frames')


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
    check_choice('video_source', video_source, VIDEO_SOURCES)
    mp4 = osp.join(data_root, CLIP_DIR, f'{vid}.mp4')
    fdir = osp.join(resolve_frame_root(data_root, frame_root), vid)
    if video_source == 'frames':
        return None, (fdir if osp.isdir(fdir) else None)
    if video_source == 'auto' and osp.isdir(fdir) and os.listdir(fdir):
        return None, fdir
    return (mp4 if osp.isfile(mp4) else None), None


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
    require_file(path, 'A2D video list', 'part of the A2D tree')
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
    comma in the query) gets its query fields joined back.

    A query holding a line break is a stray opening quote that swallowed
    the next rows: a ``ValueError`` names every such row by its lines.
    Queries with an odd number of quotes are logged (see
    :func:`unbalanced_quote_rows`)."""
    rows, swallowed = [], []
    for first_line, last_line, row in read_csv_rows(
            path, ('video_id', 'instance_id', 'query'),
            'A2D Sentences annotation file',
            'text_annotations/ from the A2D Sentences tree'):
        query = ','.join(row[2:])
        if '\n' in query or '\r' in query:
            swallowed.append(f'lines {first_line}-{last_line}')
        rows.append(
            QueryRow(first_line, row[0].strip(), row[1].strip(), query))
    if swallowed:
        raise ValueError(
            f'{path}: {len(swallowed)} queries hold a line break ('
            f'{", ".join(swallowed)}): a stray opening quote makes the csv '
            'reader take the following rows into one query; fix the quote '
            'on the first line named')
    unbalanced = unbalanced_quote_rows(rows)
    if unbalanced:
        print_log(
            f'{path}: {len(unbalanced)} queries have an odd number of '
            f'quotes, kept as written: {limited_list(unbalanced)}',
            logger='current',
            level=logging.WARNING)
    return rows


def unbalanced_quote_rows(rows: Sequence[QueryRow]) -> List[str]:
    """``'line N: <query>'`` of the queries with an odd number of double
    quotes (a quote the csv reader kept as text)."""
    return [
        f'line {row.line}: {row.query!r}' for row in rows
        if row.query.count('"') % 2
    ]


def read_missed_videos(path: str) -> set:
    require_file(path, 'A2D Sentences missed-video list',
                 'text_annotations/ from the A2D Sentences tree')
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
    """The rows of the authors' sample list (format: docs/dataset_prepare.md),
    read as their ``pd.read_csv(path, header=None)`` does, in file order,
    duplicates kept; ``drop_last=b`` drops the final partial batch of ``b``.
    """
    require_file(path, 'sample list',
                 'datasets/A2D/preprocessed/test.txt of the CSTM')
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
