"""Ref-DAVIS17 (Khoreva et al., ACCV 2018) on the DAVIS 2017 tree, through the
``meta_expressions/<split>/meta_expressions.json`` that
``tools/data/ref_davis17/prepare.py`` writes from the expression files
(layout, encodings, fields: docs/dataset_prepare.md).
"""
import os.path as osp
from collections import OrderedDict
from typing import List, Optional, Sequence, Tuple

from mmcsted.registry import DATASETS
from .base import read_index_png_sample
from .ref_vos_base import BaseRefVOSDataset, read_meta_expressions
from .utils import SkipCounter

IMAGE_DIR = osp.join('DAVIS', 'JPEGImages', '480p')
#: the unsupervised-task masks: every object of every frame, 255 = void
MASK_DIR = osp.join('DAVIS', 'Annotations_unsupervised', '480p')
SPLIT_DIR = osp.join('DAVIS', 'ImageSets', '2017')
META_EXPRESSIONS_TMPL = osp.join('meta_expressions', '{}',
                                 'meta_expressions.json')
SPLITS = ('train', 'val')
VOID_LABEL = 255
#: The four annotation runs of ReferFormer's protocol (its ``anno_0`` ..
#: ``anno_3``, in this order): annotator 1 / 2 x first-frame / full-video.
RUNS: Tuple[str, ...] = ('anno1_first_frame', 'anno1_full_video',
                         'anno2_first_frame', 'anno2_full_video')


@DATASETS.register_module()
class RefDAVIS17Dataset(BaseRefVOSDataset):
    """Ref-DAVIS17: one sample per (expression, frame with a mask) of the four
    annotation runs (:data:`RUNS`), scored per run by
    :class:`~mmcsted.evaluation.RefDAVIS17Metric`.

    Args:
        data_root: the folder holding ``DAVIS/`` and the ``meta_expressions/``
            that ``tools/data/ref_davis17/prepare.py`` writes.
        split: ``'val'`` (default) or ``'train'``.
        runs: the runs to read (default all four).
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
                 **kwargs):
        runs = [runs] if isinstance(runs, str) else list(runs)
        bad = [r for r in runs if r not in RUNS]
        if bad or not runs or len(set(runs)) != len(runs):
            raise ValueError(f'runs must be distinct names among {RUNS}, '
                             f'got {runs}')
        self.runs = tuple(runs)
        super().__init__(data_root=data_root, split=split, **kwargs)

    def _split_videos(self, skips: SkipCounter) -> 'OrderedDict[str, dict]':
        """The videos of the prepared file, each with the expressions of
        ``runs`` only."""
        path = osp.join(self.data_root,
                        META_EXPRESSIONS_TMPL.format(self.split))
        videos = read_meta_expressions(
            path, f'Ref-DAVIS17 {self.split} expression file',
            'write it from davis_text_annotations/ and the DAVIS masks with '
            'python tools/data/ref_davis17/prepare.py <data_root>',
            self.backend_args)
        for vid, entry in videos.items():
            for exp_id, exp in entry['expressions'].items():
                if exp.get('run') not in RUNS or not isinstance(
                        exp.get('obj_id'), int):
                    raise ValueError(
                        f'{path}: video {vid!r} expression {exp_id!r} needs '
                        f'a "run" among {RUNS} and an integer "obj_id"; '
                        'tools/data/ref_davis17/prepare.py writes both')
            entry['expressions'] = OrderedDict(
                (k, e) for k, e in entry['expressions'].items()
                if e['run'] in self.runs)
        return videos

    def _frame_dir(self, vid: str) -> str:
        return osp.join(self.data_root, IMAGE_DIR, vid)

    def _missing_folders(self, vid: str) -> List[str]:
        return [self._frame_dir(vid), osp.join(self.data_root, MASK_DIR, vid)]

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
            mask_file=osp.join(self.data_root, MASK_DIR, vid, frame + '.png'),
            void_label=VOID_LABEL)
