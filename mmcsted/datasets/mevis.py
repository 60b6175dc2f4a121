"""MeViS (Ding et al., ICCV 2023): referring video segmentation with motion
expressions. Layout and targets: docs/dataset_prepare.md.
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional

from mmcsted.registry import DATASETS
from .base import union_of_rles
from .ref_vos_base import BaseRefVOSDataset, read_meta_expressions
from .utils import SkipCounter, read_json

MEVIS_SPLITS = ('train', 'valid_u', 'valid')
#: splits whose mask_dict.json is public
MEVIS_SPLITS_WITH_MASKS = ('train', 'valid_u')
META_EXPRESSIONS_FILE = 'meta_expressions.json'
MASK_DICT_FILE = 'mask_dict.json'
FRAME_DIR = 'JPEGImages'


def read_mask_dict(path: str,
                   backend_args: Optional[dict] = None) -> Dict[str, list]:
    """``{str(anno_id): [RLE dict or None, ...]}`` of a ``mask_dict.json``."""
    data = read_json(path, 'MeViS mask_dict.json',
                     'mask_dict.json of the train / valid_u split of MeViS',
                     backend_args)
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected {{anno_id: [RLE or null, ...]}}')
    for key, value in data.items():
        if not isinstance(value, list):
            raise ValueError(f'{path}: anno_id {key!r} maps to '
                             f'{type(value).__name__}, not a list of RLEs')
    return data


def id_list(value, what: str, where: str) -> List[int]:
    """A MeViS ``obj_id`` / ``anno_id`` list as ints (a bare int is taken as
    a one-item list); a malformed one is a ``ValueError`` naming ``where``."""
    if value is None:
        return []
    if isinstance(value, (int, str)):
        value = [value]
    if not isinstance(value, list):
        raise ValueError(f'{where}: {what} must be a list of ids, got '
                         f'{value!r}')
    try:
        return [int(x) for x in value]
    except (TypeError, ValueError):
        raise ValueError(f'{where}: {what} must be a list of ids, got '
                         f'{value!r}') from None


@DATASETS.register_module()
class MeViSDataset(BaseRefVOSDataset):
    """MeViS: one sample per (expression, listed frame); the target is the
    union of the expression's ``anno_id`` RLEs (docs/dataset_prepare.md).

    Args:
        data_root: the root holding ``train/``, ``valid_u/``, ``valid/``.
        split: ``'train'``, ``'valid_u'`` (masks) or ``'valid'`` (none).
        **kwargs: :class:`BaseRefVOSDataset` arguments.
    """

    SPLITS = MEVIS_SPLITS
    METAINFO = dict(dataset_name='MeViS')
    MASK_FORMAT = 'coco_rle'

    def __init__(self, data_root: str, split: str = 'train', **kwargs):
        self.num_no_target_expressions = 0
        self.num_multi_object_expressions = 0
        super().__init__(data_root=data_root, split=split, **kwargs)

    @staticmethod
    def read_mask(results: dict, backend_args: Optional[dict]):
        """The union of the frame's ``mask_rles`` (``ori_shape`` gives the
        size of an empty target)."""
        ori = results.get('ori_shape')
        return union_of_rles(results['mask_rles'],
                             None if ori is None else ori[:2]), None

    @property
    def has_masks(self) -> bool:
        return self.split in MEVIS_SPLITS_WITH_MASKS

    def _split_videos(self, skips: SkipCounter) -> 'OrderedDict[str, dict]':
        folder = osp.join(self.data_root, self.split)
        videos = read_meta_expressions(
            osp.join(folder, META_EXPRESSIONS_FILE),
            f'MeViS {self.split} expression file',
            f'{self.split}/meta_expressions.json from the MeViS tree',
            self.backend_args)
        self._all_masks = None
        if self.has_masks:
            self._all_masks = read_mask_dict(
                osp.join(folder, MASK_DICT_FILE), self.backend_args)
        self._checked_masks = set()
        self.num_no_target_expressions = 0
        self.num_multi_object_expressions = 0
        return videos

    def _frame_dir(self, vid: str) -> str:
        return osp.join(self.data_root, self.split, FRAME_DIR, vid)

    def _expression_fields(self, vid: str, exp_id: str, exp: dict,
                           frames: List[str],
                           skips: SkipCounter) -> Optional[dict]:
        where = (f'{osp.join(self.data_root, self.split)}/'
                 f'{META_EXPRESSIONS_FILE}: video {vid!r} expression '
                 f'{exp_id!r}')
        object_ids = id_list(exp.get('obj_id'), 'obj_id', where)
        if not self.has_masks:
            return dict(object_ids=object_ids)
        anno_ids = id_list(exp.get('anno_id'), 'anno_id', where)
        if len(anno_ids) != len(object_ids):
            raise ValueError(f'{where}: {len(object_ids)} obj_id but '
                             f'{len(anno_ids)} anno_id (one per object)')
        for a in anno_ids:
            self._check_mask_entry(a, len(frames), where, skips)
        if not anno_ids:
            self.num_no_target_expressions += 1
        elif len(anno_ids) > 1:
            self.num_multi_object_expressions += 1
        return dict(
            object_ids=object_ids, anno_ids=anno_ids, no_target=not anno_ids)

    def _check_mask_entry(self, anno_id: int, num_frames: int, where: str,
                          skips: SkipCounter) -> None:
        key = str(anno_id)
        masks = self._all_masks.get(key)
        if masks is None:
            raise ValueError(
                f'{where}: anno_id {anno_id} is not in '
                f'{self.split}/{MASK_DICT_FILE} (the mask_dict of another '
                'split or version?)')
        if len(masks) < num_frames:
            raise ValueError(
                f'{where}: mask_dict entry of anno_id {anno_id} has '
                f'{len(masks)} masks but the video lists {num_frames} frames')
        if len(masks) > num_frames and key not in self._checked_masks:
            skips.add(
                "mask_dict entries longer than their video's frame list "
                '(the masks past the last listed frame are not used)',
                f'anno_id {anno_id}: {len(masks)} masks, {num_frames} '
                'frames')
        self._checked_masks.add(key)

    def _frame_fields(self, vid: str, fields: dict, frame_index: int,
                      frame: str) -> dict:
        if not self.has_masks:
            return dict(mask_format='none')
        # each sample holds its frame's RLEs: mmengine's serialize_data packs
        # them with the data_list, shared by the data-loader workers
        return dict(
            mask_format='coco_rle',
            mask_rles=[
                self._all_masks[str(a)][frame_index]
                for a in fields['anno_ids']
            ])

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        self._all_masks = None  # the samples hold the RLEs they use
        return data_list
