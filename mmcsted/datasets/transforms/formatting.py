"""Packing a sample into the model's input tensor and data sample."""
from typing import Dict, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData

from mmcsted.registry import TRANSFORMS
from mmcsted.structures import ActorSegDataSample
from ..utils import ArgsRepr

DEFAULT_META_KEYS = ('query', 'video_id', 'frame_id', 'target_index',
                     'frame_inds', 'clamped', 'ori_shape', 'img_shape',
                     'pad_shape', 'scale_factor', 'flip', 'actor_class',
                     'action_class', 'instance_id', 'sample_idx',
                     'query_flags', 'video_path', 'frame_dir', 'filename_tmpl',
                     'exp_id', 'frame_name', 'object_ids', 'no_target', 'run')
REQUIRED_META_KEYS = ('query', 'video_id', 'frame_id', 'ori_shape',
                      'img_shape')


@TRANSFORMS.register_module()
class PackActorSegInputs(ArgsRepr, BaseTransform):
    """Pack ``imgs`` into ``inputs`` (uint8 (C, T, H, W), RGB) and the
    ``gt_sem_seg`` / ``void_mask`` and ``meta_keys`` into an
    :class:`ActorSegDataSample` (keys: docs/dataset_prepare.md).
    """

    repr_args = ('meta_keys', )

    def __init__(self, meta_keys: Sequence[str] = DEFAULT_META_KEYS):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: Dict) -> Dict:
        imgs = results['imgs']
        clip = np.stack(imgs) if isinstance(imgs, (list, tuple)) else imgs
        if clip.ndim != 4 or clip.shape[-1] != 3:
            raise ValueError(f'imgs must be T x H x W x 3, got {clip.shape}')
        inputs = torch.from_numpy(
            np.ascontiguousarray(clip.transpose(3, 0, 1, 2), dtype=np.uint8))

        results.setdefault('flip', False)
        if 'img_shape' in results:
            results.setdefault('pad_shape', tuple(results['img_shape']))
            if 'ori_shape' in results:
                (ih, iw), (oh, ow) = results['img_shape'][:2], \
                    results['ori_shape'][:2]
                results.setdefault('scale_factor', (iw / ow, ih / oh))
        missing = [
            k for k in REQUIRED_META_KEYS
            if k in self.meta_keys and k not in results
        ]
        if missing:
            raise KeyError(f'PackActorSegInputs: the results dict lacks '
                           f'{missing}')

        data_sample = ActorSegDataSample()
        mask = results.get('gt_sem_seg')
        if mask is not None:
            mask = np.ascontiguousarray(mask, dtype=np.uint8)
            if mask.ndim != 2:
                raise ValueError(f'gt_sem_seg must be H x W, got {mask.shape}')
            data_sample.gt_sem_seg = PixelData(
                data=torch.from_numpy(mask[None].copy()))
        void = results.get('void_mask')
        if void is not None:  # DAVIS void pixels: scored by no one
            data_sample.void_mask = PixelData(
                data=torch.from_numpy(
                    np.ascontiguousarray(void, dtype=np.uint8)[None].copy()))
        data_sample.set_metainfo(
            {k: results[k]
             for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=data_sample)
