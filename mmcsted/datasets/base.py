"""The base class of the actor-segmentation datasets and the mask readers of
their samples (one per ``mask_format``, used by ``LoadActorMask``)."""
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.dataset import BaseDataset

from mmcsted.utils.misc import check_choice
from mmcsted.utils.video_io import read_index_png
from .utils import SkipCounter, limited_list

#: the values of ``on_missing``
ON_MISSING = ('error', 'skip')

#: the skip reason of the videos left out by ``on_missing='skip'``
MISSING_REASON = 'videos whose files are missing (all their samples)'

#: ``mask_format`` -> ``reader(results, backend_args) -> (mask, void or
#: None)``; filled by the subclasses of :class:`BaseActorSegDataset`
MASK_READERS: Dict[str, Callable] = {}

MaskAndVoid = Tuple[np.ndarray, Optional[np.ndarray]]


class BaseActorSegDataset(BaseDataset):
    """A dataset of (query, target frame) samples of videos.

    Args:
        data_root: the dataset's root folder.
        split: one of the subclass's ``SPLITS`` (not checked if it has none).
        pipeline: transforms.
        on_missing: ``'error'`` (default) or ``'skip'`` for files the
            annotations name but the tree lacks (docs/dataset_prepare.md).
        backend_args: the :mod:`mmengine.fileio` backend of the tree.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments.

    A subclass gives ``load_data_list`` and, with masks, ``MASK_FORMAT`` and
    :meth:`read_mask`, the hook ``LoadActorMask`` calls.
    """

    SPLITS: Sequence[str] = ()
    #: the ``mask_format`` of the samples whose masks :meth:`read_mask` reads
    MASK_FORMAT: Optional[str] = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        fmt = cls.__dict__.get('MASK_FORMAT')
        if fmt is None:
            return
        reader = cls.read_mask
        if MASK_READERS.get(fmt, reader) is not reader:
            raise ValueError(f'{cls.__name__}: mask_format {fmt!r} already '
                             'has another reader')
        MASK_READERS[fmt] = reader

    def __init__(self,
                 data_root: str,
                 split: Optional[str] = None,
                 pipeline: Sequence = (),
                 on_missing: str = 'error',
                 backend_args: Optional[dict] = None,
                 **kwargs):
        if self.SPLITS:
            check_choice('split', split, self.SPLITS)
        check_choice('on_missing', on_missing, ON_MISSING)
        self.split = split
        self.on_missing = on_missing
        self.backend_args = backend_args
        self.skipped: Dict[str, int] = {}
        super().__init__(
            data_root=data_root, pipeline=list(pipeline), **kwargs)

    @property
    def owner(self) -> str:
        """The dataset's name in log lines and errors."""
        name = type(self).__name__
        return f'{name}({self.split})' if self.split else name

    @staticmethod
    def read_mask(results: dict, backend_args: Optional[dict]) -> MaskAndVoid:
        """(H x W uint8 {0, 1} target, void mask or None) of one sample."""
        raise NotImplementedError

    def handle_missing(self,
                       missing: Dict[str, List[str]],
                       skips: SkipCounter,
                       hint: str = '') -> None:
        """The missing-data policy for ``missing`` (``{video: [missing
        file or folder, ...]}``): with ``on_missing='error'`` raise naming
        them, else count each video under :data:`MISSING_REASON`."""
        if not missing:
            return
        paths = [p for ps in missing.values() for p in ps]
        if self.on_missing == 'error':
            raise FileNotFoundError(
                f'{self.owner}: {len(missing)} videos have missing files or '
                f'folders under {self.data_root}: {limited_list(paths)}. '
                f"{hint}Pass on_missing='skip' to leave their samples out.")
        for ps in missing.values():
            skips.add(MISSING_REASON, '; '.join(ps))

    def finish_loading(self, data_list: List[dict],
                       skips: SkipCounter) -> List[dict]:
        """Log the count and the skips, keep them in ``skipped``; no sample
        left is an error."""
        skips.log_summary(kept=len(data_list))
        self.skipped = skips.as_dict()
        if not data_list:
            raise ValueError(f'{self.owner}: no sample left in '
                             f'{self.data_root}; see the warnings above')
        return data_list

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        info['test_mode'] = self.test_mode
        return info


def read_index_png_sample(results: dict,
                          backend_args: Optional[dict]) -> MaskAndVoid:
    """The ``'index_png'`` reader (Ref-YouTube-VOS, DAVIS 2017): the target
    is the uint8 {0, 1} union of the sample's ``object_ids`` in the object-id
    PNG ``mask_file``, the void mask the pixels equal to its ``void_label``
    (None without one)."""
    ids = read_index_png(results['mask_file'], backend_args)
    target = np.isin(ids, [int(i) for i in results['object_ids']])
    void = None
    if results.get('void_label') is not None:
        void = (ids == int(results['void_label'])).astype(np.uint8)
    return target.astype(np.uint8), void


def union_of_rles(rles, shape=None) -> np.ndarray:
    """The uint8 {0, 1} union of COCO RLE dicts (``size`` [H, W] and
    ``counts``, compressed string or list); None entries are objects absent
    from the frame. With no RLE at all the result is an empty ``shape``
    mask (an expression with no target in this frame)."""
    from pycocotools import mask as mask_utils
    present = [r for r in rles if r is not None]
    if not present:
        if shape is None:
            raise ValueError('every RLE is null and the frame size is '
                             'unknown (decode the frames first)')
        return np.zeros(tuple(shape), np.uint8)
    encoded = []
    for rle in present:
        rle = dict(rle)
        if isinstance(rle['counts'], str):
            rle['counts'] = rle['counts'].encode('ascii')
        elif isinstance(rle['counts'], list):  # uncompressed
            rle = mask_utils.frPyObjects(rle, *rle['size'])
        encoded.append(rle)
    sizes = sorted({tuple(int(v) for v in rle['size']) for rle in encoded})
    if len(sizes) > 1:
        raise ValueError(f'RLEs of sizes {sizes} in one frame')
    return mask_utils.decode(mask_utils.merge(encoded)).astype(np.uint8)
