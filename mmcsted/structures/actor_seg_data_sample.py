from mmseg.structures import SegDataSample


class ActorSegDataSample(SegDataSample):
    """Data sample of language-queried actor segmentation: an mmsegmentation
    ``SegDataSample`` (so mmseg's visualizer and hooks read it) with one
    foreground class, and the metainfo below.

    Data fields (mmseg's, with their one-class meaning):
        gt_sem_seg (PixelData): (1, H, W) uint8 {0, 1}; at the network input
            size in training, at the original frame size in testing.
        pred_sem_seg (PixelData): the binary prediction (1, H, W) at the
            original frame size (``seg_logits >= test_cfg.threshold``).
        seg_logits (PixelData): the foreground probability (1, H, W), float,
            at the original frame size: as mmseg's one-channel models, the
            sigmoid is applied; metrics binarise it with their own rule.
        input_seg_logits (PixelData, optional): the probability at the
            network input size, before the resize back (with
            ``test_cfg.keep_input_seg_logits``; the CSTM protocol scores it).

    Metainfo (set by the pipeline): ``query``, ``video_id``, ``frame_id``
    (1-based target frame), ``target_index`` (index of the target frame in the
    clip), ``frame_inds``, ``clamped`` (clip clamped at a video end),
    ``ori_shape``, ``img_shape``, ``pad_shape``, ``scale_factor``, ``flip``,
    ``actor_class``, ``action_class``, ``instance_id``.
    """
