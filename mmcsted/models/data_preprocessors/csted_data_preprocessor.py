from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor
from mmengine.structures import PixelData

from mmcsted.registry import MODELS


@MODELS.register_module()
class CSTEDDataPreprocessor(BaseDataPreprocessor):
    """Batch clips for CSTED.

    Takes the packed clips (C, T, H, W) uint8, moves them to the device,
    normalises, pads bottom/right to a common size (``size``, or the batch
    maximum rounded up to ``size_divisor``), pads the ground-truth masks the
    same way, and takes out the target frame of each clip (``target_index`` of
    its data sample).

    Returns ``dict(inputs=dict(clip=(N, C, T, H, W), frame=(N, C, H, W)),
    data_samples=...)``. The queries stay strings in the data samples: the text
    encoders tokenise them with the vocabulary stored in the model.

    Args:
        mean, std (sequence[float]): per-channel, in 0..255 units
            (``mean=0, std=255`` gives [0, 1] inputs, as CSTM's
            ``ToTensor``).
        size (sequence[int], optional): fixed (H, W) to pad to.
        size_divisor (int): else pad to the batch maximum rounded up.
        pad_value (float): value of the padding (after normalisation).
        frame_index (int, optional): the clip index of the spatial encoder's
            frame for every sample, whatever its ``target_index`` (the
            CSTM: ``video[:, :, 4]``, which is the target only when the
            target frame is past the 8th). Default None: the sample's
            ``target_index`` (default T // 2).
    """

    def __init__(self,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 size: Optional[Sequence[int]] = None,
                 size_divisor: int = 32,
                 pad_value: float = 0.,
                 frame_index: Optional[int] = None):
        super().__init__()
        self.frame_index = frame_index
        self.register_buffer(
            'mean',
            torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1, 1),
            persistent=False)
        self.register_buffer(
            'std',
            torch.tensor(std, dtype=torch.float32).view(-1, 1, 1, 1),
            persistent=False)
        self.size = tuple(size) if size is not None else None
        self.size_divisor = size_divisor
        self.pad_value = pad_value

    def _pad_target(self, shapes: List[torch.Size]):
        if self.size is not None:
            return self.size
        h = max(s[-2] for s in shapes)
        w = max(s[-1] for s in shapes)
        d = self.size_divisor
        return (-(-h // d) * d, -(-w // d) * d)

    def _normalize_and_pad(self, clips: List[torch.Tensor], pad_h: int,
                           pad_w: int) -> torch.Tensor:
        """(N, C, T, pad_h, pad_w) float: normalised, padded bottom/right.
        Clips of one shape (every batch of a video) go as one tensor,
        normalised in place and padded only when needed (a batch at 320 px
        is 79 MB of floats: each pass and each new tensor counts), the same
        values."""
        if len({tuple(c.shape) for c in clips}) == 1:
            # stack makes a new tensor (and float() another for uint8), so
            # the in-place steps never touch the caller's clips
            batch = torch.stack(clips).float()
            batch.sub_(self.mean).div_(self.std)
            h, w = batch.shape[-2:]
            if (h, w) == (pad_h, pad_w):
                return batch
            return F.pad(
                batch, (0, pad_w - w, 0, pad_h - h), value=self.pad_value)
        return torch.stack([
            F.pad(
                (c.float() - self.mean) / self.std,
                (0, pad_w - c.shape[-1], 0, pad_h - c.shape[-2]),
                value=self.pad_value) for c in clips
        ])

    def forward(self, data: Dict, training: bool = False) -> Dict:
        data = self.cast_data(data)
        inputs = data['inputs']
        data_samples = data.get('data_samples')
        if isinstance(inputs, torch.Tensor) and inputs.dim() == 4:
            inputs = [inputs]
        clips = list(inputs)
        if data_samples is not None and len(data_samples) != len(clips):
            raise ValueError(f'{len(clips)} clips but {len(data_samples)} '
                             'data samples')
        pad_h, pad_w = self._pad_target([c.shape for c in clips])
        for clip in clips:
            if clip.dim() != 4:
                raise ValueError('a clip is (C, T, H, W), got shape '
                                 f'{tuple(clip.shape)}')
            h, w = clip.shape[-2:]
            if h > pad_h or w > pad_w:
                raise ValueError(f'clip {h}x{w} is larger than the pad size '
                                 f'{pad_h}x{pad_w}: resize it in the pipeline')
        clip_batch = self._normalize_and_pad(clips, pad_h, pad_w)
        n, _, t = clip_batch.shape[:3]
        if data_samples is not None:
            target_index = [
                ds.metainfo.get('target_index', t // 2) for ds in data_samples
            ]
            for ds in data_samples:
                ds.set_metainfo(dict(batch_input_shape=(pad_h, pad_w)))
                # Training masks follow the input (resized + padded); test
                # masks stay at the original size for evaluation.
                if training and 'gt_sem_seg' in ds:
                    m = ds.gt_sem_seg.data
                    if m.shape[-2] > pad_h or m.shape[-1] > pad_w:
                        raise ValueError(
                            f'mask {tuple(m.shape)} larger than the input '
                            f'{pad_h}x{pad_w}')
                    ds.gt_sem_seg = PixelData(
                        data=F.pad(m, (0, pad_w - m.shape[-1], 0,
                                       pad_h - m.shape[-2])))
        else:
            target_index = [t // 2] * n
        if self.frame_index is not None:
            target_index = [self.frame_index] * n
        # checked on the list: a check of the tensor waits for the GPU
        if any(not 0 <= i < t for i in target_index):
            raise ValueError(f'frame index {target_index} outside a clip of '
                             f'{t} frames')
        index = torch.tensor(target_index, device=clip_batch.device)
        frame = clip_batch[torch.arange(n, device=clip_batch.device), :, index]
        return dict(
            inputs=dict(clip=clip_batch, frame=frame),
            data_samples=data_samples)
