"""Ref-YouTube-VOS (Seo et al., ECCV 2020; the 2021 competition tree).
Layout, and the valid/test split trap: docs/dataset_prepare.md."""
import logging
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional

from mmcsted.registry import DATASETS
from .base import read_index_png_sample
from .ref_vos_base import BaseRefVOSDataset, read_meta_expressions
from .utils import SkipCounter, read_json

YTVOS_SPLITS = ('train', 'valid')
META_EXPRESSIONS_TMPL = 'meta_expressions/{}/meta_expressions.json'
TRAIN_META_FILE = 'train/meta.json'
FRAME_DIR_TMPL = '{}/JPEGImages'
ANNOTATION_DIR = 'train/Annotations'
#: videos scored on the valid server (valid list minus test list)
YTVOS_VALID_VIDEOS = 202
#: videos of the test phase, listed in the valid file too
YTVOS_TEST_VIDEOS = 305


def read_ytvos_meta(path: str,
                    backend_args: Optional[dict] = None) -> Dict[str, dict]:
    """``{vid: {obj_id (str): {'category', 'frames'}}}`` of
    ``train/meta.json``."""
    data = read_json(
        path, 'Ref-YouTube-VOS train/meta.json', backend_args=backend_args)
    if not isinstance(data, dict) or not isinstance(data.get('videos'), dict):
        raise ValueError(f'{path}: expected {{"videos": {{<vid>: '
                         '{"objects": ...}}}} at the top level')
    out = {}
    for vid, entry in data['videos'].items():
        objects = entry.get('objects') if isinstance(entry, dict) else None
        if not isinstance(objects, dict):
            raise ValueError(f'{path}: video {vid!r} has no "objects" object')
        out[vid] = {str(k): v for k, v in objects.items()}
    return out


@DATASETS.register_module()
class RefYouTubeVOSDataset(BaseRefVOSDataset):
    """Ref-YouTube-VOS: one sample per (expression, listed frame).

    Args:
        split: ``'train'`` (index-PNG masks) or ``'valid'`` (no masks).
        exclude_test_videos: valid only: leave out the test-phase videos
            (default True; needs ``meta_expressions/test``; the valid/test
            trap: docs/dataset_prepare.md).
        **kwargs: :class:`BaseRefVOSDataset` arguments.
    """

    SPLITS = YTVOS_SPLITS
    METAINFO = dict(dataset_name='Ref-YouTube-VOS')
    MASK_FORMAT = 'index_png'
    read_mask = staticmethod(read_index_png_sample)

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 exclude_test_videos: bool = True,
                 **kwargs):
        self.exclude_test_videos = exclude_test_videos
        self.num_test_videos_excluded = 0
        self.object_meta: Optional[Dict[str, dict]] = None
        super().__init__(data_root=data_root, split=split, **kwargs)

    def _split_videos(self, skips: SkipCounter) -> 'OrderedDict[str, dict]':
        root = self.data_root
        path = osp.join(root, META_EXPRESSIONS_TMPL.format(self.split))
        videos = read_meta_expressions(
            path, f'Ref-YouTube-VOS {self.split} expression file',
            'meta_expressions/ from the Ref-YouTube-VOS tree',
            self.backend_args)
        if self.split == 'train':
            self.object_meta = read_ytvos_meta(
                osp.join(root, TRAIN_META_FILE), self.backend_args)
            return videos
        if not self.exclude_test_videos:
            return videos
        # the valid/test split trap of docs/dataset_prepare.md
        test = read_meta_expressions(
            osp.join(root, META_EXPRESSIONS_TMPL.format('test')),
            'Ref-YouTube-VOS test expression file',
            f'it lists the {YTVOS_TEST_VIDEOS} test-phase videos that the '
            f'valid file holds too; the {YTVOS_VALID_VIDEOS} videos scored on '
            'the valid server are the valid list minus the test list. Put it '
            'in place (it comes with the competition tree) or pass '
            'exclude_test_videos=False to use every video of the valid file',
            self.backend_args)
        keep = OrderedDict((v, e) for v, e in videos.items() if v not in test)
        self.num_test_videos_excluded = len(videos) - len(keep)
        skips.add(
            'videos of the valid file that are test videos',
            f'{len(keep)} valid videos kept; the tree has '
            f'{YTVOS_VALID_VIDEOS}',
            n=self.num_test_videos_excluded,
            level=logging.INFO)
        return keep

    def _frame_dir(self, vid: str) -> str:
        return osp.join(self.data_root, FRAME_DIR_TMPL.format(self.split), vid)

    def _missing_folders(self, vid: str) -> List[str]:
        dirs = [self._frame_dir(vid)]
        if self.split == 'train':
            dirs.append(osp.join(self.data_root, ANNOTATION_DIR, vid))
        return dirs

    def _expression_fields(self, vid: str, exp_id: str, exp: dict,
                           frames: List[str],
                           skips: SkipCounter) -> Optional[dict]:
        obj_id = exp.get('obj_id')
        if self.split != 'train':
            ids = [] if obj_id is None else [_parse_obj_id(obj_id)]
            return dict(object_ids=[i for i in ids if i is not None])
        parsed = None if obj_id is None else _parse_obj_id(obj_id)
        if parsed is None:
            skips.add('train expressions without a valid obj_id',
                      f'{vid} expression {exp_id}: obj_id={obj_id!r}')
            return None
        objects = self.object_meta.get(vid)
        if objects is None:
            skips.add(
                'train expressions whose video is absent from '
                'train/meta.json', f'{vid} expression {exp_id}')
            return None
        obj = objects.get(str(parsed))
        if obj is None:
            skips.add(
                'train expressions whose obj_id is not among the '
                "video's objects in train/meta.json",
                f'{vid} expression {exp_id}: obj_id {parsed}')
            return None
        return dict(object_ids=[parsed], category=obj.get('category'))

    def _frame_fields(self, vid: str, fields: dict, frame_index: int,
                      frame: str) -> dict:
        if self.split != 'train':
            return dict(mask_format='none')
        return dict(
            mask_format='index_png',
            mask_file=osp.join(self.data_root, ANNOTATION_DIR, vid,
                               frame + '.png'))


def _parse_obj_id(obj_id) -> Optional[int]:
    """``int`` of a Ref-YouTube-VOS ``obj_id`` (a string such as ``"1"``);
    None if it is not a positive integer."""
    try:
        value = int(obj_id)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None
