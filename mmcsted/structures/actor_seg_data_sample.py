from mmengine.structures import PixelData
from mmseg.structures import SegDataSample


class ActorSegDataSample(SegDataSample):
    """Data sample of language-queried actor segmentation.

    An mmsegmentation ``SegDataSample`` (so its ``gt_sem_seg``,
    ``pred_sem_seg`` and ``seg_logits`` fields exist too, unset) with the
    fields below, which mmcsted's pipeline, model and metrics use.

    Data fields:
        gt_mask (PixelData): ``data`` of shape (1, H, W), uint8 {0, 1}; at the
            network input size in training, at the original frame size in
            testing (evaluation happens there).
        pred_mask (PixelData): the binary prediction (1, H, W) at the original
            frame size (probability >= 0.5).
        pred_score (PixelData): the foreground probability (1, H, W), float, at
            the original frame size; metrics binarise it with their own rule.

    Metainfo (set by the pipeline): ``query``, ``video_id``, ``frame_id``
    (1-based target frame), ``target_index`` (index of the target frame in the
    clip), ``frame_inds``, ``clamped`` (clip clamped at a video end),
    ``ori_shape``, ``img_shape``, ``pad_shape``, ``scale_factor``, ``flip``,
    ``actor_class``, ``action_class``, ``instance_id``.
    """

    @property
    def gt_mask(self) -> PixelData:
        return self._gt_mask

    @gt_mask.setter
    def gt_mask(self, value: PixelData) -> None:
        self.set_field(value, '_gt_mask', dtype=PixelData)

    @gt_mask.deleter
    def gt_mask(self) -> None:
        del self._gt_mask

    @property
    def pred_mask(self) -> PixelData:
        return self._pred_mask

    @pred_mask.setter
    def pred_mask(self, value: PixelData) -> None:
        self.set_field(value, '_pred_mask', dtype=PixelData)

    @pred_mask.deleter
    def pred_mask(self) -> None:
        del self._pred_mask

    @property
    def pred_score(self) -> PixelData:
        return self._pred_score

    @pred_score.setter
    def pred_score(self, value: PixelData) -> None:
        self.set_field(value, '_pred_score', dtype=PixelData)

    @pred_score.deleter
    def pred_score(self) -> None:
        del self._pred_score
