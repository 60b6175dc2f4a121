"""Referring (language-queried) actor segmentation metric: IoU, P@X, AP, mAP.

The CSTED paper (A2D Sentences, J-HMDB Sentences) reports, over all test
samples (one sample = one (query, annotated frame) pair, one prediction each):

* Overall IoU (``oIoU``) = sum_i I_i / sum_i U_i
* Mean IoU (``mIoU``) = mean_i IoU_i
* ``P@X`` = share of samples whose IoU passes X, X in {0.5, 0.6, 0.7, 0.8, 0.9}
* "AP" = mean of P@X over X = 0.50:0.05:0.95, reported here as ``AP_paper``.

Later work (MTTR, ReferFormer) reports a COCO mask mAP (pycocotools, useCats=0)
under the same name "mAP"; that is a different number, available here
(``coco_map=True``) as ``coco_mAP`` / ``coco_AP50`` / ``coco_AP75``.

``protocol='release'`` scores exactly as the authors' released test code
(``utils/tool.report_evaluation_result``): see :func:`release_masks`.
"""
import contextlib
import csv
import io
import json
import logging
import os.path as osp
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement
from mmengine.utils import mkdir_or_exist
from mmseg.evaluation.metrics import IoUMetric

from mmcsted.registry import METRICS

#: thresholds of the reported P@X columns.
REPORTED_PRECISION_THRS = (0.5, 0.6, 0.7, 0.8, 0.9)
#: thresholds averaged into the paper's "AP": 0.50, 0.55, ..., 0.95 (exact
#: decimal literals, no accumulated floating-point drift).
AP_PAPER_THRS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))

_META_KEYS = ('sample_idx', 'video_id', 'frame_id', 'instance_id', 'query',
              'actor_class', 'action_class')
_DUMP_KEYS = ('sample_idx', 'video_id', 'frame_id', 'instance_id', 'query',
              'actor_class', 'action_class', 'I', 'U', 'IoU')


def _get(sample: Any, key: str, default: Any = None) -> Any:
    """Read ``key`` from a data sample given as a dict or a data element."""
    if isinstance(sample, dict):
        return sample.get(key, default)
    if isinstance(sample, BaseDataElement):
        return sample.get(key, default)
    return getattr(sample, key, default)


def _field_data(field: Any) -> Any:
    """``data`` of a PixelData / its ``to_dict`` form / a bare array."""
    if field is None:
        return None
    if isinstance(field, dict):
        return field.get('data')
    if isinstance(field, BaseDataElement):
        return field.get('data')
    return field


def _to_2d_tensor(data: Any, name: str) -> torch.Tensor:
    """Convert (1, H, W) or (H, W) tensor / array to a CPU (H, W) tensor."""
    if isinstance(data, np.ndarray):
        data = torch.from_numpy(data)
    if not isinstance(data, torch.Tensor):
        raise TypeError(f'`{name}` must be a tensor or an array, '
                        f'got {type(data)}')
    data = data.detach().cpu()
    if data.dim() == 3 and data.shape[0] == 1:
        data = data[0]
    if data.dim() != 2:
        raise ValueError(f'`{name}` must have shape (1, H, W) or (H, W), '
                         f'got {tuple(data.shape)}')
    return data


def _plain(value: Any) -> Any:
    """Tensors / numpy scalars -> python values (JSON- and pickle-friendly)."""
    if isinstance(value, torch.Tensor):
        value = value.item() if value.numel() == 1 else value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    elif isinstance(value, np.ndarray):
        value = value.item() if value.size == 1 else value.tolist()
    return value


def _class_id(value: Any) -> Optional[int]:
    """Class id as int; ``None`` for absent / ``None`` / negative (-1)."""
    value = _plain(value)
    if value is None or isinstance(value, bool):
        return None
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


def _format_table(title: str, headers: Sequence[str],
                  rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table (no extra dependency) for the logger."""
    cells = [[str(h) for h in headers]]
    for row in rows:
        cells.append(
            [f'{v:.2f}' if isinstance(v, float) else str(v) for v in row])
    widths = [max(len(r[c]) for r in cells) for c in range(len(headers))]
    sep = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'

    def line(r):
        return '|' + '|'.join(f' {v:<{w}} ' for v, w in zip(r, widths)) + '|'

    out = [title, sep, line(cells[0]), sep]
    out += [line(r) for r in cells[1:]]
    out.append(sep)
    return '\n'.join(out)


PROTOCOLS = ('mmcsted', 'release')


def foreground_intersect_and_union(pred: torch.Tensor,
                                   gt: torch.Tensor) -> Tuple[int, int]:
    """Pixel counts of pred AND gt and of pred OR gt for two binary masks,
    by mmsegmentation's per-class histogram (class 1 = the actor)."""
    area_inter, area_union, _, _ = IoUMetric.intersect_and_union(
        pred.long(), gt.long(), num_classes=2, ignore_index=255)
    # histc counts in float32: exact up to 2**24 pixels per frame
    return int(area_inter[1].item()), int(area_union[1].item())


def release_masks(score_input: np.ndarray,
                  gt: np.ndarray,
                  max_ratio: float = 0.5,
                  gt_round_trip: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """The prediction and ground truth that the authors' release scores.

    Its ``report_evaluation_result`` takes the probability map at the model's
    input size (320 x 320), ``res = sigmoid(logits) * 255`` (float32), keeps
    ``res > max(res) * 0.5`` as a uint8 mask *at that size*, and resizes that
    binary mask to the frame size with ``cv2.resize(mask, (W, H))``
    (``INTER_LINEAR``); its ground truth is the frame's mask resized to the
    input size by ``F.interpolate(bilinear, align_corners=True)``, set to 1
    where > 0, cast to uint8 and resized back with ``cv2.resize(gt, (W,
    H))``. (H, W) is the frame size: the release takes it from its test list,
    whose frames are the clips320H frames the masks are drawn on.

    Args:
        score_input: (h, w) foreground probability (sigmoid) at the input size.
        gt: (H, W) ground truth at the frame size, foreground > 0.
        max_ratio: the release's 0.5.
        gt_round_trip: resize the ground truth to the input size and back as
            the release does (True); False keeps it as it is.

    Returns:
        (pred, gt) as (H, W) bool arrays.
    """
    import cv2
    score_input = np.asarray(score_input, dtype=np.float32)
    gt = np.asarray(gt)
    if score_input.ndim != 2 or gt.ndim != 2:
        raise ValueError(f'release_masks takes 2-D maps, got '
                         f'{score_input.shape} and {gt.shape}')
    h_in, w_in = score_input.shape
    big_h, big_w = gt.shape
    res = score_input * np.float32(255.0)
    small = (res > res.max() * max_ratio).astype(np.uint8)
    pred = cv2.resize(small, (big_w, big_h)) == 1
    if gt_round_trip:
        gt_t = torch.from_numpy((gt > 0).astype(np.float32))[None, None]
        gt_small = F.interpolate(
            gt_t, size=(h_in, w_in), mode='bilinear',
            align_corners=True)[0, 0].numpy()
        gt_small = (gt_small > 0).astype(np.uint8)
        gt = cv2.resize(gt_small, (big_w, big_h)) == 1
    else:
        gt = gt > 0
    return pred, gt


@METRICS.register_module()
class ReferSegMetric(BaseMetric):
    """IoU-based metrics of language-queried actor segmentation.

    **Input.** ``process`` takes data samples as dicts (``to_dict`` form, which
    mmengine passes) or :class:`ActorSegDataSample` objects with

    * ``pred_score.data``: float (1, H, W), foreground probability at the
      original frame size;
    * ``pred_mask.data``: binary (1, H, W) (optional; used only with
      ``binarize='pred_mask'``);
    * ``gt_mask.data``: (1, H, W) at the original frame size; any value > 0 is
      foreground;
    * metainfo ``query``, ``video_id``, ``frame_id``, ``instance_id``,
      ``sample_idx``, ``actor_class``, ``action_class`` (ints; absent, ``None``
      or ``-1`` mean unknown) and optionally ``query_flags`` (dict of booleans,
      e.g. ``{'twin': True}``).

    **Resizing.** If the prediction's size differs from the ground truth's, the
    score map is resized to the ground-truth size with bilinear interpolation
    (``align_corners=False``) *before* it is binarised; with
    ``binarize='pred_mask'`` the binary mask is resized with nearest
    interpolation. The ground truth is never resized.

    **Binarisation** (``binarize``):

    * ``'max_ratio'`` (release default):
      ``pred = score > max_ratio * max(score)``, the maximum taken over the
      sample's own (resized) map. A map whose maximum is <= 0 (e.g. all
      zeros) gives an *empty* prediction: no pixel is strictly above
      ``max_ratio * max``.
    * ``'threshold'``: ``pred = score >= threshold``.
    * ``'pred_mask'``: use the sample's ``pred_mask`` (> 0) as is.

    **The release's protocol** (``protocol='release'``; default
    ``'mmcsted'``, all of the above): the prediction is binarised at the
    model's *input* size and the binary mask resized to the frame size, and
    the ground truth goes to the input size and back, exactly as the
    authors' test code does (see :func:`release_masks`). Each data sample
    then needs ``pred_score_input.data``: the (1, h, w) probability at the
    input size before any resize back, which ``CSTED`` stores when its
    ``test_cfg`` has ``keep_input_score=True``; (H, W) is the size of
    ``gt_mask`` (the frame size). ``binarize`` must be ``'max_ratio'``;
    ``max_ratio``, ``iou_smooth`` and ``precision_op`` apply as given (their
    defaults are the release's). ``release_gt_round_trip=False`` leaves the
    ground truth at its own size (to see what the round trip alone changes).
    With ``coco_map=True`` the detection score is taken from the input-size
    map.

    **Per-sample IoU.** With ``I = |pred & gt|``, ``U = |pred | gt|`` (pixel
    counts at the ground-truth size) and ``s = iou_smooth``::

        IoU = (I + s) / (U + s)        (IoU = 1.0 when U + s == 0)

    (the release's 1e-6 smoothing, applied to both terms). An empty
    prediction on an empty ground truth scores 1.0 (with ``s > 0`` by the
    formula, with ``s == 0`` by definition); an empty prediction on a
    non-empty ground truth, or a non-empty prediction on an empty ground
    truth, scores ``s / (U + s)`` ~ 0. For ``I < U`` the smoothing raises the
    IoU by less than ``s / U``: it never moves an IoU across a threshold X of
    the 0.05 grid, except at an exact tie ``I / U == X``, which ``'>'`` then
    passes. Use ``iou_smooth=0`` for a strict ``'>'`` at exact ties.

    **Metrics** (returned in this order; all values in percent except counts):

    * ``oIoU``: overall IoU = sum(I) / sum(U) over all samples (no smoothing;
      100 when sum(U) == 0, i.e. every sample is an empty/empty pair);
    * ``mIoU``: mean of the per-sample IoU;
    * ``P@0.5``, ``P@0.6``, ``P@0.7``, ``P@0.8``, ``P@0.9``: share of samples
      with ``IoU >= X`` (``precision_op='>='``, release) or ``IoU > X``
      (``'>'``, MTTR);
    * ``AP_paper``: the CSTED paper's "AP" = mean of P@X over
      X = 0.50, 0.55, ..., 0.95 (same comparison operator). NOT COCO mAP;
    * with ``coco_map=True``: ``coco_mAP`` (COCO mask AP@[.50:.05:.95]),
      ``coco_AP50``, ``coco_AP75`` from pycocotools ``COCOeval`` with
      ``iouType='segm'`` and ``useCats=0``; one image per sample, one ground
      truth annotation per sample (none when the ground truth is empty) and
      exactly one detection per sample: the binarised prediction with score
      ``mean(score | pred)`` (``coco_score='mean_in_mask'``; ``max(score)``
      when the prediction is empty) or ``max(score)`` (``coco_score='max'``);
      1.0 without a score map. COCO's "undefined" (-1, e.g. no non-empty
      ground truth) is returned as -1.0;
    * ``num_samples``;
    * breakdowns, when the meta information allows:

      - ``actor/<name>/mIoU``, ``actor/<name>/oIoU``, ``actor/<name>/count``
        and the same under ``action/<name>/...``, when ``dataset_meta`` has
        ``actor_classes`` / ``action_classes``. Class ids follow the A2D label
        (1-based): id ``k`` is ``actor_classes[k - 1]``; unknown ids (absent,
        ``None``, -1) are left out; an id beyond the tuple is named ``id<k>``;
      - ``flag/<flag>/...`` (samples whose ``query_flags[flag]`` is True) and
        ``flag/not_<flag>/...`` (False) for every flag seen; samples without
        the flag are left out of both.

    Only classes / flags with at least one sample appear. The main metrics and
    the breakdown are also logged as tables.

    **One prediction per sample.** Samples are keyed by ``sample_idx`` (or, if
    it is absent, by (video_id, frame_id, instance_id, query)); a key seen
    twice at ``compute_metrics`` raises ``ValueError`` (mmengine's
    ``collect_results`` already drops the distributed sampler's padding).

    **Memory.** ``self.results`` holds per-sample numbers (I, U, IoU, meta),
    not masks; with ``coco_map=True`` it also holds the RLE encodings
    (``pycocotools.mask.encode``) of the prediction and ground truth.

    **Dump.** With ``out_file_path`` (``.csv``, else JSON), the per-sample
    records (sample_idx, video_id, frame_id, instance_id, query, actor_class,
    action_class, I, U, IoU and query_flags) are written at
    ``compute_metrics``, sorted by ``sample_idx`` when every sample has one.

    Args:
        iou_smooth (float): ``s`` above. Defaults to 1e-6.
        precision_op (str): ``'>='`` (release) or ``'>'`` (MTTR).
            Defaults to ``'>='``.
        binarize (str): ``'max_ratio'``, ``'threshold'`` or ``'pred_mask'``.
            Defaults to ``'max_ratio'``.
        max_ratio (float): ratio of ``'max_ratio'``. Defaults to 0.5.
        threshold (float): threshold of ``'threshold'``. Defaults to 0.5.
        coco_map (bool): also compute COCO mask mAP. Defaults to False.
        coco_score (str): ``'mean_in_mask'`` or ``'max'``.
            Defaults to ``'mean_in_mask'``.
        protocol (str): ``'mmcsted'`` or ``'release'`` (above).
            Defaults to ``'mmcsted'``.
        release_gt_round_trip (bool): with ``protocol='release'``, resize
            the ground truth to the input size and back. Defaults to True.
        out_file_path (str, optional): per-sample dump. Defaults to None.
        out_file_tag (str, optional): inserted before the dump's extension
            (``res.json`` -> ``res.<tag>.json``), so that two metrics of one
            evaluator given the same ``out_file_path`` (``tools/test.py
            --out``) write two files. Defaults to None.
        check_duplicates (bool): raise on duplicate sample keys.
            Defaults to True.
        collect_device, prefix, collect_dir: see ``BaseMetric``. Without a
            prefix the keys are exactly as listed above.
    """

    # '' (not None): keys carry no prefix and mmengine does not warn.
    default_prefix: Optional[str] = ''

    def __init__(self,
                 iou_smooth: float = 1e-6,
                 precision_op: str = '>=',
                 binarize: str = 'max_ratio',
                 max_ratio: float = 0.5,
                 threshold: float = 0.5,
                 coco_map: bool = False,
                 coco_score: str = 'mean_in_mask',
                 protocol: str = 'mmcsted',
                 release_gt_round_trip: bool = True,
                 out_file_path: Optional[str] = None,
                 out_file_tag: Optional[str] = None,
                 check_duplicates: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        if precision_op not in ('>=', '>'):
            raise ValueError("`precision_op` must be '>=' or '>', "
                             f'got {precision_op!r}')
        if binarize not in ('max_ratio', 'threshold', 'pred_mask'):
            raise ValueError("`binarize` must be 'max_ratio', 'threshold' or "
                             f"'pred_mask', got {binarize!r}")
        if coco_score not in ('mean_in_mask', 'max'):
            raise ValueError("`coco_score` must be 'mean_in_mask' or 'max', "
                             f'got {coco_score!r}')
        if protocol not in PROTOCOLS:
            raise ValueError(f'`protocol` must be one of {PROTOCOLS}, got '
                             f'{protocol!r}')
        if protocol == 'release' and binarize != 'max_ratio':
            raise ValueError("protocol='release' binarises at max_ratio x "
                             f"the map's maximum: binarize={binarize!r} does "
                             'not apply')
        if iou_smooth < 0:
            raise ValueError(f'`iou_smooth` must be >= 0, got {iou_smooth}')
        if out_file_path is not None and not isinstance(out_file_path, str):
            raise TypeError('`out_file_path` must be a str or None')
        self.iou_smooth = float(iou_smooth)
        self.precision_op = precision_op
        self.binarize = binarize
        self.max_ratio = float(max_ratio)
        self.threshold = float(threshold)
        self.coco_map = bool(coco_map)
        self.coco_score = coco_score
        self.protocol = protocol
        self.release_gt_round_trip = bool(release_gt_round_trip)
        self.out_file_path = out_file_path
        self.out_file_tag = out_file_tag
        self.check_duplicates = bool(check_duplicates)

    # ------------------------------------------------------------------ #
    # per-sample part
    # ------------------------------------------------------------------ #
    def iou(self, inter: float, union: float) -> float:
        """Per-sample IoU = (I + s) / (U + s); 1.0 when U + s == 0."""
        den = union + self.iou_smooth
        if den <= 0:
            return 1.0
        return (inter + self.iou_smooth) / den

    def _binarize(
            self, sample: Any,
            gt_hw: Tuple[int,
                         int]) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Binary prediction and (resized) score map at the gt size."""
        score_data = _field_data(_get(sample, 'pred_score'))
        score = None
        if score_data is not None:
            score = _to_2d_tensor(score_data, 'pred_score').float()
            if tuple(score.shape) != gt_hw:
                score = F.interpolate(
                    score[None, None],
                    size=gt_hw,
                    mode='bilinear',
                    align_corners=False)[0, 0]

        if self.binarize == 'pred_mask':
            mask_data = _field_data(_get(sample, 'pred_mask'))
            if mask_data is None:
                raise KeyError("binarize='pred_mask' needs `pred_mask` in "
                               'every data sample')
            mask = _to_2d_tensor(mask_data, 'pred_mask') > 0
            if tuple(mask.shape) != gt_hw:
                mask = F.interpolate(
                    mask.float()[None, None], size=gt_hw,
                    mode='nearest')[0, 0] > 0.5
            return mask, score

        if score is None:
            raise KeyError(f'binarize={self.binarize!r} needs `pred_score` '
                           'in every data sample')
        if self.binarize == 'max_ratio':
            pred = score > self.max_ratio * score.max()
        else:
            pred = score >= self.threshold
        return pred, score

    def _release(
            self, sample: Any, gt: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(pred, gt, input-size score) of ``protocol='release'``."""
        data = _field_data(_get(sample, 'pred_score_input'))
        if data is None:
            raise KeyError(
                "protocol='release' needs `pred_score_input` in every data "
                'sample: the probability at the model input size, before '
                "the resize back (set the model's test_cfg "
                'keep_input_score=True)')
        score = _to_2d_tensor(data, 'pred_score_input').float()
        pred, gt_r = release_masks(score.numpy(), gt.numpy(), self.max_ratio,
                                   self.release_gt_round_trip)
        return torch.from_numpy(pred), torch.from_numpy(gt_r), score

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Compute I, U and IoU of every sample and keep them (not masks)."""
        for sample in data_samples:
            gt_data = _field_data(_get(sample, 'gt_mask'))
            if gt_data is None:
                raise KeyError('every data sample needs `gt_mask`')
            gt = _to_2d_tensor(gt_data, 'gt_mask') > 0
            gt_hw = (int(gt.shape[0]), int(gt.shape[1]))
            if self.protocol == 'release':
                pred, gt, score = self._release(sample, gt)
                score_mask = score > self.max_ratio * score.max()
            else:
                pred, score = self._binarize(sample, gt_hw)
                score_mask = pred

            inter, union = foreground_intersect_and_union(pred, gt)
            result: Dict[str, Any] = {
                k: _plain(_get(sample, k))
                for k in _META_KEYS
            }
            result['actor_class'] = _class_id(result['actor_class'])
            result['action_class'] = _class_id(result['action_class'])
            flags = _get(sample, 'query_flags')
            result['query_flags'] = ({
                str(k): bool(_plain(v))
                for k, v in flags.items() if _plain(v) is not None
            } if isinstance(flags, dict) else None)
            result.update(I=inter, U=union, IoU=self.iou(inter, union))

            if self.coco_map:
                from pycocotools import mask as mask_utils
                result['height'], result['width'] = gt_hw
                result['pred_rle'] = mask_utils.encode(
                    np.asfortranarray(pred.numpy().astype(np.uint8)))
                result['gt_rle'] = mask_utils.encode(
                    np.asfortranarray(gt.numpy().astype(np.uint8)))
                if score is None:
                    det_score = 1.0
                elif self.coco_score == 'mean_in_mask' and bool(
                        score_mask.any()):
                    det_score = float(score[score_mask].mean())
                else:
                    det_score = float(score.max())
                result['coco_score'] = det_score
            self.results.append(result)

    # ------------------------------------------------------------------ #
    # dataset part
    # ------------------------------------------------------------------ #
    @staticmethod
    def _sample_key(res: dict) -> Optional[tuple]:
        if res.get('sample_idx') is not None:
            return ('sample_idx', res['sample_idx'])
        meta = tuple(
            res.get(k)
            for k in ('video_id', 'frame_id', 'instance_id', 'query'))
        if all(v is None for v in meta):
            return None  # nothing identifies the sample: cannot check
        return ('meta', ) + meta

    def _check_duplicates(self, results: List[dict]) -> None:
        seen: Dict[tuple, int] = {}
        dups = []
        for res in results:
            key = self._sample_key(res)
            if key is None:
                continue
            seen[key] = seen.get(key, 0) + 1
            if seen[key] == 2:
                dups.append(key)
        if dups:
            shown = ', '.join(str(k) for k in dups[:5])
            more = f' (and {len(dups) - 5} more)' if len(dups) > 5 else ''
            raise ValueError(
                f'{self.__class__.__name__}: {len(dups)} sample key(s) have '
                f'more than one prediction: {shown}{more}. Exactly one '
                'prediction per sample is scored; check the dataset for '
                'repeated entries and the sampler / model for repeated '
                'outputs.')

    def _precision(self, ious: np.ndarray, thr: float) -> float:
        if ious.size == 0:
            return float('nan')
        hit = ious >= thr if self.precision_op == '>=' else ious > thr
        return float(hit.mean()) * 100

    @staticmethod
    def _overall_iou(inters: np.ndarray, unions: np.ndarray) -> float:
        total_u = float(unions.sum())
        if total_u == 0:
            return 100.0
        return float(inters.sum()) / total_u * 100

    def _group_stats(self, results: List[dict]) -> Tuple[float, float]:
        inters = np.array([r['I'] for r in results], dtype=np.float64)
        unions = np.array([r['U'] for r in results], dtype=np.float64)
        ious = np.array([r['IoU'] for r in results], dtype=np.float64)
        return float(ious.mean()) * 100, self._overall_iou(inters, unions)

    def _breakdowns(self, results: List[dict]) -> List[Tuple[str, str, list]]:
        """(group, name, samples) for classes and query flags."""
        groups = []
        meta = self.dataset_meta or {}
        for group, key in (('actor', 'actor_class'), ('action',
                                                      'action_class')):
            names = meta.get(f'{group}_classes')
            if not names:
                continue
            names = tuple(names)
            by_id: Dict[int, list] = {}
            for res in results:
                if res.get(key) is not None:
                    by_id.setdefault(res[key], []).append(res)
            in_range = [k for k in range(1, len(names) + 1) if k in by_id]
            others = sorted(k for k in by_id if not 1 <= k <= len(names))
            if others:
                print_log(
                    f'{self.__class__.__name__}: {group} class ids {others} '
                    f'are outside 1..{len(names)} (1-based A2D ids); they '
                    'are reported as id<k>.',
                    logger='current',
                    level=logging.WARNING)
            for k in in_range:
                groups.append((group, str(names[k - 1]), by_id[k]))
            for k in others:
                groups.append((group, f'id{k}', by_id[k]))

        flag_names: List[str] = []
        for res in results:
            for name in (res.get('query_flags') or {}):
                if name not in flag_names:
                    flag_names.append(name)
        for name in flag_names:
            for value, label in ((True, name), (False, f'not_{name}')):
                members = [
                    r for r in results
                    if (r.get('query_flags') or {}).get(name) is value
                ]
                if members:
                    groups.append(('flag', label, members))
        return groups

    def _coco_metrics(self, results: List[dict]) -> Dict[str, float]:
        from pycocotools import mask as mask_utils
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval

        images, gt_anns, dets = [], [], []
        for i, res in enumerate(results):
            img_id = i + 1
            images.append(
                dict(id=img_id, height=res['height'], width=res['width']))
            gt_rle = res['gt_rle']
            area = float(mask_utils.area(gt_rle))
            if area > 0:
                gt_anns.append(
                    dict(
                        id=len(gt_anns) + 1,
                        image_id=img_id,
                        category_id=1,
                        segmentation=gt_rle,
                        area=area,
                        bbox=mask_utils.toBbox(gt_rle).tolist(),
                        iscrowd=0))
            dets.append(
                dict(
                    image_id=img_id,
                    category_id=1,
                    segmentation=res['pred_rle'],
                    score=res['coco_score']))

        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            coco_gt = COCO()
            coco_gt.dataset = dict(
                images=images,
                annotations=gt_anns,
                categories=[dict(id=1, name='actor')])
            coco_gt.createIndex()
            coco_dt = coco_gt.loadRes(dets)
            coco_eval = COCOeval(coco_gt, coco_dt, iouType='segm')
            coco_eval.params.useCats = 0
            coco_eval.evaluate()
            coco_eval.accumulate()
            coco_eval.summarize()
        summary = [ln for ln in log.getvalue().splitlines() if 'Average' in ln]
        print_log(
            'COCO mask mAP (useCats=0, one detection per sample):\n' +
            '\n'.join(summary),
            logger='current')

        def pct(v: float) -> float:
            return float(v) * 100 if v >= 0 else -1.0

        stats = coco_eval.stats
        return OrderedDict(
            coco_mAP=pct(stats[0]),
            coco_AP50=pct(stats[1]),
            coco_AP75=pct(stats[2]))

    def _dump(self, results: List[dict]) -> None:
        records = []
        for res in results:
            rec = {k: res.get(k) for k in _DUMP_KEYS}
            rec['query_flags'] = res.get('query_flags')
            records.append(rec)
        if records and all(isinstance(r['sample_idx'], int) for r in records):
            records.sort(key=lambda r: r['sample_idx'])
        path = self.out_file_path
        if self.out_file_tag:
            stem, ext = osp.splitext(path)
            path = f'{stem}.{self.out_file_tag}{ext}'
        dirname = osp.dirname(osp.abspath(path))
        mkdir_or_exist(dirname)
        if path.lower().endswith('.csv'):
            with open(path, 'w', newline='', encoding='utf-8') as f:
                writer = csv.DictWriter(
                    f, fieldnames=list(_DUMP_KEYS) + ['query_flags'])
                writer.writeheader()
                for rec in records:
                    row = dict(rec)
                    row['query_flags'] = ('' if rec['query_flags'] is None else
                                          json.dumps(rec['query_flags']))
                    row = {k: ('' if v is None else v) for k, v in row.items()}
                    writer.writerow(row)
        else:
            with open(path, 'w', encoding='utf-8') as f:
                json.dump(records, f, indent=1, ensure_ascii=False)
        print_log(
            f'Per-sample results of {len(records)} samples written to '
            f'{path}',
            logger='current')

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Aggregate the per-sample numbers; see the class docstring."""
        if self.check_duplicates:
            self._check_duplicates(results)
        if self.out_file_path:
            self._dump(results)

        inters = np.array([r['I'] for r in results], dtype=np.float64)
        unions = np.array([r['U'] for r in results], dtype=np.float64)
        ious = np.array([r['IoU'] for r in results], dtype=np.float64)
        n = len(results)

        metrics: Dict[str, float] = OrderedDict()
        metrics['oIoU'] = (
            self._overall_iou(inters, unions) if n else float('nan'))
        metrics['mIoU'] = float(ious.mean()) * 100 if n else float('nan')
        for thr in REPORTED_PRECISION_THRS:
            metrics[f'P@{thr}'] = self._precision(ious, thr)
        ap = [self._precision(ious, thr) for thr in AP_PAPER_THRS]
        metrics['AP_paper'] = float(np.mean(ap)) if n else float('nan')
        if self.coco_map:
            if n:
                metrics.update(self._coco_metrics(results))
            else:
                metrics.update(
                    coco_mAP=float('nan'),
                    coco_AP50=float('nan'),
                    coco_AP75=float('nan'))
        metrics['num_samples'] = n

        main_rows = [(k, v) for k, v in metrics.items()]
        table = _format_table(
            f'Referring segmentation ({n} samples; {self.protocol} protocol; '
            f'percent; P@X uses IoU {self.precision_op} X; AP_paper = mean '
            'P@0.50:0.05:0.95)', ['metric', 'value'], main_rows)
        print_log('\n' + table, logger='current')

        rows = []
        for group, name, members in self._breakdowns(results):
            miou, oiou = self._group_stats(members)
            prefix = f'{group}/{name}'
            metrics[f'{prefix}/mIoU'] = miou
            metrics[f'{prefix}/oIoU'] = oiou
            metrics[f'{prefix}/count'] = len(members)
            rows.append((group, name, len(members), miou, oiou))
        if rows:
            print_log(
                '\n' + _format_table(
                    'Breakdown (percent)',
                    ['group', 'name', 'count', 'mIoU', 'oIoU'], rows),
                logger='current')
        return metrics
