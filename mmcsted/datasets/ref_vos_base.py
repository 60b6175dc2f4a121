"""What Ref-YouTube-VOS and MeViS share: ``meta_expressions.json`` (format:
docs/dataset_prepare.md) and the samples made from it.
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

from mmengine import fileio

from mmcsted.text import has_words
from .base import BaseActorSegDataset
from .utils import SkipCounter, read_json, require_file

#: frame images of the releases: ``<JPEGImages>/<vid>/<frame>.jpg``
FRAME_EXT = '.jpg'


def clean_query(text) -> str:
    """An expression with its whitespace collapsed (case kept); ``''`` for a
    non-string.
    """
    if not isinstance(text, str):
        return ''
    return ' '.join(text.split())


def read_meta_expressions(
        path: str,
        what: str = 'meta_expressions.json',
        hint: str = '',
        backend_args: Optional[dict] = None) -> 'OrderedDict[str, dict]':
    """The ``videos`` of a ``meta_expressions.json`` in file order; a malformed
    file is a ``ValueError`` naming the file and the video.
    """
    data = read_json(path, what, hint, backend_args, OrderedDict)
    if not isinstance(data, dict) or not isinstance(data.get('videos'), dict):
        raise ValueError(f'{path}: expected {{"videos": {{<vid>: ...}}}} at '
                         'the top level')
    videos = data['videos']
    for vid, entry in videos.items():
        if not isinstance(entry, dict):
            raise ValueError(f'{path}: video {vid!r} is not an object')
        if not isinstance(entry.get('expressions'), dict):
            raise ValueError(f'{path}: video {vid!r} has no "expressions" '
                             'object')
        frames = entry.get('frames')
        if not isinstance(frames, list) or not all(
                isinstance(x, str) for x in frames):
            raise ValueError(f'{path}: video {vid!r} has no "frames" list '
                             'of frame names')
        for exp_id, exp in entry['expressions'].items():
            if not isinstance(exp, dict):
                raise ValueError(f'{path}: video {vid!r} expression '
                                 f'{exp_id!r} is not an object')
    return videos


def sorted_frames(frames: Sequence[str]) -> List[str]:
    """The listed frames in the order the readers index them (sorted, as
    ReferFormer and MeViS do), duplicates dropped."""
    return sorted(set(frames))


class BaseRefVOSDataset(BaseActorSegDataset):
    """Samples of a referring-VOS tree: (expression, listed frame) pairs.

    Training: every ``frame_stride``-th listed frame of an expression is a
    target; test mode: every listed frame, and the metainfo gains
    ``expected_frames`` (what a submission must hold). ``frame_names`` is
    kept once per video and put in by ``get_data_info`` (memory).

    Subclasses give ``_split_videos``, ``_frame_dir``,
    ``_expression_fields`` and ``_frame_fields``.

    Args:
        frame_stride: training only: every k-th listed frame is a target.
        **kwargs: :class:`BaseActorSegDataset` arguments.

    An expression whose query has no word is skipped and counted; in test
    mode it is listed in the metainfo's ``empty_query_expressions`` and the
    submission gets empty masks for it (docs/dataset_prepare.md).
    """

    def __init__(self, frame_stride: int = 1, **kwargs):
        if not isinstance(frame_stride, int) or frame_stride < 1:
            raise ValueError('frame_stride must be an int >= 1, got '
                             f'{frame_stride!r}')
        self.frame_stride = frame_stride
        self.num_videos = 0
        self.num_expressions = 0
        self.video_frames: Dict[str, List[str]] = {}
        super().__init__(**kwargs)

    # -- subclass hooks -------------------------------------------------
    def _split_videos(self, skips: SkipCounter) -> 'OrderedDict[str, dict]':
        """``{vid: json entry}`` of this split (after any list filtering),
        in the order the samples should follow."""
        raise NotImplementedError

    def _frame_dir(self, vid: str) -> str:
        raise NotImplementedError

    def _missing_folders(self, vid: str) -> List[str]:
        """The folders of ``vid`` that must exist (default: its JPEGs)."""
        return [self._frame_dir(vid)]

    def _expression_fields(self, vid: str, exp_id: str, exp: dict,
                           frames: List[str],
                           skips: SkipCounter) -> Optional[dict]:
        """Per-expression fields (``object_ids``, ...), or None to skip the
        expression (the hook counts it in ``skips``)."""
        raise NotImplementedError

    def _frame_fields(self, vid: str, fields: dict, frame_index: int,
                      frame: str) -> dict:
        """Per-frame mask fields of one sample (``mask_format`` and its
        file / RLE references)."""
        raise NotImplementedError

    # -------------------------------------------------------------------
    def load_data_list(self) -> List[dict]:
        skips = SkipCounter(self.owner)
        require_file(
            self.data_root,
            f'{type(self).__name__} data_root',
            backend_args=self.backend_args)
        videos = self._split_videos(skips)
        missing = OrderedDict()  # {vid: [missing folder, ...]}
        for vid in videos:
            absent = [
                d for d in self._missing_folders(vid)
                if not fileio.isdir(d, backend_args=self.backend_args)
            ]
            if absent:
                missing[vid] = absent
        self.handle_missing(
            missing, skips, 'Run the tree check tool for the full list, '
            'or fix the tree. ')
        stride = 1 if self.test_mode else self.frame_stride
        data_list, video_frames = [], {}
        expected: Dict[str, Dict[str, List[str]]] = {}
        self._empty_queries: Dict[str, dict] = {}
        num_expressions = 0
        for vid, entry in videos.items():
            if vid in missing:
                continue
            frames = sorted_frames(entry['frames'])
            if not frames:
                skips.add('videos with an empty "frames" list', vid)
                continue
            n_before = len(data_list)
            num_expressions += self._add_video_samples(data_list, expected,
                                                       vid, entry, frames,
                                                       stride, skips)
            if len(data_list) > n_before:
                video_frames[vid] = [f + FRAME_EXT for f in frames]
        self.video_frames = video_frames
        if self.test_mode:
            # what a submission must hold: JFMetric's writer checks it
            self._metainfo['expected_frames'] = expected
            self._metainfo['empty_query_expressions'] = self._empty_queries
        self.num_videos = len(video_frames)
        self.num_expressions = num_expressions
        return self.finish_loading(data_list, skips)

    def _add_video_samples(self, data_list: List[dict], expected: Dict,
                           vid: str, entry: dict, frames: List[str],
                           stride: int, skips: SkipCounter) -> int:
        """Append the samples of one video's expressions to ``data_list``
        and their frames to ``expected``; returns the number of expressions
        that gave samples."""
        frame_dir = self._frame_dir(vid)
        num_expressions = 0
        for exp_id, exp in entry['expressions'].items():
            query = clean_query(exp.get('exp'))
            if not has_words(query):
                skips.add('expressions with an empty query',
                          f'{vid} expression {exp_id}')
                if self.test_mode:
                    # no prediction, but its files in a submission
                    expected.setdefault(vid, {})[str(exp_id)] = frames
                    self._empty_queries.setdefault(
                        vid,
                        dict(
                            frame_file=osp.join(frame_dir,
                                                frames[0] + FRAME_EXT),
                            frames=frames,
                            exp_ids=[]))['exp_ids'].append(str(exp_id))
                continue
            fields = self._expression_fields(vid, exp_id, exp, frames, skips)
            if fields is None:
                continue
            num_expressions += 1
            expected.setdefault(vid, {})[str(exp_id)] = frames
            for k in range(0, len(frames), stride):
                sample = dict(
                    video_id=vid,
                    exp_id=str(exp_id),
                    query=query,
                    frame_dir=frame_dir,
                    frame_id=k + 1,
                    frame_index=k,
                    frame_name=frames[k])
                sample.update(fields)
                sample.update(self._frame_fields(vid, fields, k, frames[k]))
                data_list.append(sample)
        return num_expressions

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        info['frame_names'] = list(self.video_frames[info['video_id']])
        return info
