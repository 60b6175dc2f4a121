"""The synthetic pretraining sets (Synthetic Kinetics, Synthetic ImageNet):
one sample per actor of the synthetic benchmark's videos, read from the
annotation files ``tools/data/synthetic/pretrain_annotations.py`` writes.
What they are and their splits: docs/dataset_prepare.md.
"""
import os.path as osp
from typing import List, Optional

from mmengine import fileio

from mmcsted.registry import DATASETS
from .a2d.tree import CLIP_DIR
from .base import BaseActorSegDataset
from .utils import SkipCounter, require_file


@DATASETS.register_module()
class SyntheticActorDataset(BaseActorSegDataset):
    """Actor samples of the synthetic benchmark with their class labels.

    Args:
        data_root: the synthetic benchmark.
        ann_file: an annotation file in mmengine's format (``metainfo.classes``
            and ``data_list``), relative to ``data_root``, e.g.
            ``annotations/synthetic_kinetics_train.json``.
        data_prefix: ``video_path``: the folder of the videos (default
            the benchmark's ``Release/clips320H``).
        **kwargs: :class:`BaseActorSegDataset` arguments.
    """

    def __init__(self,
                 data_root: str,
                 ann_file: str,
                 data_prefix: Optional[dict] = None,
                 **kwargs):
        super().__init__(
            data_root=data_root,
            ann_file=ann_file,
            data_prefix=data_prefix or dict(video_path=CLIP_DIR),
            **kwargs)

    @property
    def owner(self) -> str:
        return f'{type(self).__name__}({osp.basename(self.ann_file)})'

    def load_data_list(self) -> List[dict]:
        require_file(
            self.ann_file, 'synthetic pretraining annotation file',
            'written by tools/data/synthetic/pretrain_annotations.py',
            self.backend_args)
        skips = SkipCounter(self.owner)
        data_list = super().load_data_list()
        # one check per video, not per actor sample
        videos = {d['video_id']: d['video_path'] for d in data_list}
        missing = {
            vid: [path]
            for vid, path in videos.items()
            if not fileio.exists(path, backend_args=self.backend_args)
        }
        self.handle_missing(missing, skips)
        return self.finish_loading(
            [d for d in data_list if d['video_id'] not in missing], skips)
