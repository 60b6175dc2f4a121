"""Referring (language-queried) actor segmentation metric: IoU, P@X, AP, mAP.

Definitions, options and the authors' protocol: docs/metrics.md
("ReferSegMetric").
"""
import csv
import io
import json
import logging
import os.path as osp
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmcsted.registry import METRICS
from mmcsted.utils.atomic_write import atomic_write_json, atomic_write_text
from mmcsted.utils.misc import check_choice
from ..functional import (BINARIZE_RULES, binarize_score, coco_mask_map,
                          cstm_masks, encode_rle,
                          foreground_intersect_and_union, format_table,
                          overall_iou, pixel_map, precision_at, resize_mask,
                          resize_score, sample_get, smoothed_iou, to_python)

#: thresholds of the reported P@X columns.
REPORTED_PRECISION_THRS = (0.5, 0.6, 0.7, 0.8, 0.9)
#: thresholds averaged into the paper's "AP": 0.50, 0.55, ..., 0.95 (exact
#: decimal literals, no accumulated floating-point drift).
AP_PAPER_THRS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))
PROTOCOLS = ('mmcsted', 'cstm')
#: the values each choice argument of ``ReferSegMetric`` takes
CHOICES = dict(
    precision_op=('>=', '>'),
    binarize=BINARIZE_RULES + ('pred_sem_seg', ),
    coco_score=('mean_in_mask', 'max'),
    protocol=PROTOCOLS)

_META_KEYS = ('sample_idx', 'video_id', 'frame_id', 'instance_id', 'query',
              'actor_class', 'action_class')
_DUMP_KEYS = _META_KEYS + ('I', 'U', 'IoU')


def _class_id(value: Any) -> Optional[int]:
    """Class id as int; ``None`` for absent / ``None`` / negative (-1)."""
    value = to_python(value)
    if value is None or isinstance(value, bool):
        return None
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


@METRICS.register_module()
class ReferSegMetric(BaseMetric):
    """IoU-based metrics of language-queried actor segmentation: ``oIoU``,
    ``mIoU``, ``P@0.5`` ... ``P@0.9``, the CSTED paper's ``AP_paper`` (mean
    of P@0.50:0.05:0.95, not COCO mAP), optionally COCO mask mAP
    (``coco_mAP``, ``coco_AP50``, ``coco_AP75``), ``num_samples`` and
    breakdowns by actor / action class and query flag, all in percent. The
    inputs and definitions (resizing, binarisation, smoothed IoU, breakdowns,
    the dump, ``protocol='cstm'``): docs/metrics.md, "ReferSegMetric".

    Args:
        iou_smooth (float): ``s`` of ``IoU = (I + s) / (U + s)``.
            Defaults to 1e-6.
        precision_op (str): ``'>='`` (the authors') or ``'>'`` (MTTR).
            Defaults to ``'>='``.
        binarize (str): ``'max_ratio'``, ``'threshold'`` or ``'pred_sem_seg'``.
            Defaults to ``'max_ratio'``.
        max_ratio (float): ratio of ``'max_ratio'``. Defaults to 0.5.
        threshold (float): threshold of ``'threshold'``. Defaults to 0.5.
        coco_map (bool): also compute COCO mask mAP. Defaults to False.
        coco_score (str): the detection score, ``'mean_in_mask'`` or
            ``'max'``. Defaults to ``'mean_in_mask'``.
        protocol (str): ``'mmcsted'`` or ``'cstm'`` (the authors' test
            code, on ``input_seg_logits``). Defaults to ``'mmcsted'``.
        cstm_gt_round_trip (bool): with ``protocol='cstm'``, resize
            the ground truth to the input size and back. Defaults to True.
        out_file_path (str, optional): per-sample dump (``.csv``, else
            JSON). Defaults to None.
        out_file_tag (str, optional): inserted before the dump's extension
            (``res.json`` -> ``res.<tag>.json``). Defaults to None.
        check_duplicates (bool): raise on duplicate sample keys.
            Defaults to True.
        **kwargs: ``collect_device``, ``prefix``, ``collect_dir`` of
            ``BaseMetric``; without a prefix the keys are as listed above.
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
                 cstm_gt_round_trip: bool = True,
                 out_file_path: Optional[str] = None,
                 out_file_tag: Optional[str] = None,
                 check_duplicates: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        chosen = dict(
            precision_op=precision_op,
            binarize=binarize,
            coco_score=coco_score,
            protocol=protocol)
        for name, value in chosen.items():
            check_choice(name, value, CHOICES[name])
        if protocol == 'cstm' and binarize != 'max_ratio':
            raise ValueError("protocol='cstm' binarises at max_ratio x "
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
        self.cstm_gt_round_trip = bool(cstm_gt_round_trip)
        self.out_file_path = out_file_path
        self.out_file_tag = out_file_tag
        self.check_duplicates = bool(check_duplicates)

    # ------------------------------------------------------------------ #
    # per-sample part
    # ------------------------------------------------------------------ #
    def _prediction(
        self, sample: Any, gt: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor],
               torch.Tensor]:
        """(pred, gt, score map, mask the detection score is read from), at
        the ground-truth size (the frame size)."""
        if self.protocol == 'cstm':
            score = pixel_map(sample, 'input_seg_logits')
            if score is None:
                raise KeyError(
                    "protocol='cstm' needs `input_seg_logits` in every "
                    'data sample: the probability at the model input size, '
                    "before the resize back (set the model's test_cfg "
                    'keep_input_seg_logits=True)')
            score = score.float()
            pred, gt = cstm_masks(score.numpy(), gt.numpy(), self.max_ratio,
                                  self.cstm_gt_round_trip)
            return (torch.from_numpy(pred), torch.from_numpy(gt), score,
                    binarize_score(score, 'max_ratio', self.max_ratio))
        hw = tuple(gt.shape)
        score = pixel_map(sample, 'seg_logits')
        if score is not None:
            score = resize_score(score.float(), hw)
        if self.binarize == 'pred_sem_seg':
            mask = pixel_map(sample, 'pred_sem_seg')
            if mask is None:
                raise KeyError(
                    "binarize='pred_sem_seg' needs `pred_sem_seg` in "
                    'every data sample')
            pred = resize_mask(mask > 0, hw)
        elif score is None:
            raise KeyError(f'binarize={self.binarize!r} needs `seg_logits` '
                           'in every data sample')
        else:
            pred = binarize_score(score, self.binarize, self.max_ratio,
                                  self.threshold)
        return pred, gt, score, pred

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Compute I, U and IoU of every sample and keep them (not masks)."""
        for sample in data_samples:
            gt = pixel_map(sample, 'gt_sem_seg')
            if gt is None:
                raise KeyError('every data sample needs `gt_sem_seg`')
            pred, gt, score, score_mask = self._prediction(sample, gt > 0)
            inter, union = foreground_intersect_and_union(pred, gt)
            result: Dict[str, Any] = {
                k: to_python(sample_get(sample, k))
                for k in _META_KEYS
            }
            result['actor_class'] = _class_id(result['actor_class'])
            result['action_class'] = _class_id(result['action_class'])
            flags = sample_get(sample, 'query_flags')
            result['query_flags'] = ({
                str(k): bool(to_python(v))
                for k, v in flags.items() if to_python(v) is not None
            } if isinstance(flags, dict) else None)
            result.update(
                I=inter,
                U=union,
                IoU=smoothed_iou(inter, union, self.iou_smooth))
            if self.coco_map:
                result['height'], result['width'] = tuple(gt.shape)
                result['pred_rle'] = encode_rle(pred.numpy())
                result['gt_rle'] = encode_rle(gt.numpy())
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
    def _check_duplicates(self, results: List[dict]) -> None:
        """One prediction per sample, keyed by ``sample_idx`` or else by
        (video_id, frame_id, instance_id, query)."""
        seen: Dict[tuple, int] = {}
        dups = []
        for res in results:
            meta = tuple(
                res.get(k)
                for k in ('video_id', 'frame_id', 'instance_id', 'query'))
            if res.get('sample_idx') is not None:
                key = ('sample_idx', res['sample_idx'])
            elif any(v is not None for v in meta):
                key = ('meta', ) + meta
            else:
                continue  # nothing identifies the sample: cannot check
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

    @staticmethod
    def _group_stats(results: List[dict]) -> Tuple[float, float]:
        """(mIoU, oIoU) in percent of a group of samples."""
        ious = np.array([r['IoU'] for r in results], dtype=np.float64)
        return float(ious.mean()) * 100, overall_iou(
            np.array([r['I'] for r in results], dtype=np.float64),
            np.array([r['U'] for r in results], dtype=np.float64))

    def _breakdowns(self, results: List[dict]) -> List[Tuple[str, str, list]]:
        """(group, name, samples) for classes and query flags."""
        groups = []
        meta = self.dataset_meta or {}
        for group, key in (('actor', 'actor_class'), ('action',
                                                      'action_class')):
            names = tuple(meta.get(f'{group}_classes') or ())
            if not names:
                continue
            by_id: Dict[int, list] = {}
            for res in results:
                if res.get(key) is not None:
                    by_id.setdefault(res[key], []).append(res)
            others = sorted(k for k in by_id if not 1 <= k <= len(names))
            if others:
                print_log(
                    f'{self.__class__.__name__}: {group} class ids {others} '
                    f'are outside 1..{len(names)} (1-based A2D ids); they '
                    'are reported as id<k>.',
                    logger='current',
                    level=logging.WARNING)
            for k in range(1, len(names) + 1):
                if k in by_id:
                    groups.append((group, str(names[k - 1]), by_id[k]))
            groups += [(group, f'id{k}', by_id[k]) for k in others]

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

    def _dump(self, results: List[dict]) -> None:
        """Write the per-sample records (sorted by ``sample_idx`` when every
        sample has one) to ``out_file_path`` (``.csv``, else JSON)."""
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
        if path.lower().endswith('.csv'):
            text = io.StringIO(newline='')
            writer = csv.DictWriter(
                text, fieldnames=list(_DUMP_KEYS) + ['query_flags'])
            writer.writeheader()
            for rec in records:
                row = {k: '' if v is None else v for k, v in rec.items()}
                if rec['query_flags'] is not None:
                    row['query_flags'] = json.dumps(rec['query_flags'])
                writer.writerow(row)
            atomic_write_text(text.getvalue(), path)
        else:
            atomic_write_json(records, path, indent=1, ensure_ascii=False)
        print_log(
            f'Per-sample results of {len(records)} samples written to '
            f'{path}',
            logger='current')

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Aggregate the per-sample numbers (docs/metrics.md)."""
        if self.check_duplicates:
            self._check_duplicates(results)
        if self.out_file_path:
            self._dump(results)

        ious = np.array([r['IoU'] for r in results], dtype=np.float64)
        n = len(results)
        nan = float('nan')
        metrics: Dict[str, float] = OrderedDict()
        metrics['oIoU'], metrics['mIoU'] = (
            self._group_stats(results)[::-1] if n else (nan, nan))
        for thr in REPORTED_PRECISION_THRS:
            metrics[f'P@{thr}'] = precision_at(ious, thr, self.precision_op)
        ap = [precision_at(ious, t, self.precision_op) for t in AP_PAPER_THRS]
        metrics['AP_paper'] = float(np.mean(ap)) if n else nan
        if self.coco_map:
            metrics.update(
                coco_mask_map(results) if n else dict(
                    coco_mAP=nan, coco_AP50=nan, coco_AP75=nan))
        metrics['num_samples'] = n
        print_log(
            '\n' + format_table(
                f'Referring segmentation ({n} samples; {self.protocol} '
                f'protocol; percent; P@X uses IoU {self.precision_op} X; '
                'AP_paper = mean P@0.50:0.05:0.95)', ['metric', 'value'],
                list(metrics.items())),
            logger='current')

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
                '\n' +
                format_table('Breakdown (percent)',
                             ['group', 'name', 'count', 'mIoU', 'oIoU'], rows),
                logger='current')
        return metrics
