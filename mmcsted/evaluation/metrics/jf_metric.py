"""``JFMetric``: J, F and J&F of referring video object segmentation
(Ref-YouTube-VOS, MeViS), and their challenge submissions.

J and F per frame are :mod:`mmcsted.evaluation.functional.jf`; how the
numbers relate to the official code: docs/metrics.md.
"""
from collections import OrderedDict, defaultdict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmcsted.registry import METRICS
from ..functional import (as_bool_mask, boundary_f, expression_id,
                          format_table, gt_and_void, pixel_map,
                          region_similarity_j, resize_mask, sample_get,
                          to_python)
from ..submission import SUBMISSION_LAYOUTS, SubmissionWriter


@METRICS.register_module()
class JFMetric(BaseMetric):
    """J, F and J&F of referring video object segmentation.

    One data sample per (expression, frame); the inputs, scores,
    breakdowns and submission: docs/metrics.md, "JFMetric".

    Args:
        bound_th (float): boundary tolerance (see :func:`boundary_f`).
            Defaults to 0.008.
        threshold (float): binarisation of ``seg_logits`` when there is no
            ``pred_sem_seg``. Defaults to 0.5.
        no_target_rule (bool): the stricter no-target score above (not
            the official one). Defaults to False.
        format_only (bool): only write the submission (needs
            ``output_dir``). Defaults to False.
        output_dir (str, optional): where the PNGs go (and the zip, unless
            ``zip_file``). Defaults to None: no PNGs.
        submission_layout (str, optional): ``'ref_youtube_vos'``
            (``Annotations/<vid>/<exp_id>/<frame>.png``) or ``'mevis'``
            (``<vid>/<exp_id>/<frame>.png``); required with ``output_dir``.
        zip_file (str, optional): the zip's path. Defaults to
            ``output_dir/submission.zip``.
        **kwargs: ``collect_device``, ``prefix``, ``collect_dir`` of
            ``BaseMetric``.
    """

    default_prefix: Optional[str] = ''

    def __init__(self,
                 bound_th: float = 0.008,
                 threshold: float = 0.5,
                 no_target_rule: bool = False,
                 format_only: bool = False,
                 output_dir: Optional[str] = None,
                 submission_layout: Optional[str] = None,
                 zip_file: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if bound_th <= 0:
            raise ValueError(f'`bound_th` must be > 0, got {bound_th}')
        self.bound_th = float(bound_th)
        self.threshold = float(threshold)
        self.no_target_rule = bool(no_target_rule)
        self.format_only = bool(format_only)
        if self.format_only and not output_dir:
            raise ValueError('JFMetric(format_only=True) needs `output_dir` '
                             '(where the submission is written)')
        self.writer: Optional[SubmissionWriter] = None
        if output_dir:
            if submission_layout not in SUBMISSION_LAYOUTS:
                raise ValueError(
                    'JFMetric with `output_dir` needs `submission_layout`, '
                    f'one of {sorted(SUBMISSION_LAYOUTS)}; got '
                    f'{submission_layout!r}')
            self.writer = SubmissionWriter(output_dir, submission_layout,
                                           zip_file)

    def _pred(self, sample: Any, gt_hw: Tuple[int, int]) -> torch.Tensor:
        pred = pixel_map(sample, 'pred_sem_seg')
        if pred is not None:
            pred = pred.float() > 0
        else:
            score = pixel_map(sample, 'seg_logits')
            if score is None:
                raise KeyError('JFMetric needs `pred_sem_seg` or `seg_logits` '
                               'in every data sample')
            pred = score.float() >= self.threshold
        return resize_mask(pred, gt_hw)

    def frame_scores(self,
                     pred: Any,
                     gt: Any,
                     void: Any = None) -> Tuple[float, float]:
        """(J, F) of one frame, with the no-target rule if enabled."""
        gt_b = as_bool_mask(gt, 'gt')
        pred_b = as_bool_mask(pred, 'pred')
        if self.no_target_rule:
            keep = True if void is None else ~as_bool_mask(void, 'void')
            if not (gt_b & keep).any():
                score = 0.0 if (pred_b & keep).any() else 1.0
                return score, score
        return (region_similarity_j(pred_b, gt_b, void),
                boundary_f(pred_b, gt_b, void, bound_th=self.bound_th))

    def _write(self, sample: Any) -> dict:
        """Write the sample's prediction PNG at ``ori_shape``; its record."""
        ori_shape = to_python(sample_get(sample, 'ori_shape'))
        if ori_shape is None or len(ori_shape) < 2:
            raise KeyError('the submission needs `ori_shape` (the frame\'s '
                           'original size) in every data sample')
        pred = self._pred(sample, (int(ori_shape[0]), int(ori_shape[1])))
        return self.writer.write(
            pred.numpy(),
            video_id=to_python(sample_get(sample, 'video_id')),
            exp_id=to_python(sample_get(sample, 'exp_id')),
            frame_name=to_python(sample_get(sample, 'frame_name')),
            run=to_python(sample_get(sample, 'run')))

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        for sample in data_samples:
            record = None if self.writer is None else self._write(sample)
            if self.format_only:
                self.results.append(dict(submission=record))
                continue
            gt, void = gt_and_void(sample, 'JFMetric')
            pred = self._pred(sample, tuple(gt.shape))
            j, f = self.frame_scores(pred.numpy(), gt.numpy(), void)
            self.results.append(
                dict(
                    video_id=to_python(sample_get(sample, 'video_id')),
                    exp_id=to_python(expression_id(sample)),
                    frame_id=to_python(sample_get(sample, 'frame_id')),
                    kind=_expression_kind(sample),
                    J=float(j),
                    F=float(f),
                    submission=record))

    def _finalize_submission(self, results: List[dict]) -> Dict[str, int]:
        meta = self.dataset_meta or {}
        empty_queries = meta.get('empty_query_expressions') or {}
        filled = self.writer.fill_empty(empty_queries)
        return self.writer.finalize(
            [r['submission'] for r in results] + filled,
            meta.get('expected_frames'),
            num_filled=sum(len(e['exp_ids']) for e in empty_queries.values()))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        if self.format_only:
            return OrderedDict(self._finalize_submission(results))
        if self.writer is not None:
            self._finalize_submission(results)
        per_exp: Dict[Tuple[Any, Any], List[Tuple[float, float]]] = \
            defaultdict(list)
        kinds: Dict[Tuple[Any, Any], Optional[str]] = {}
        seen = set()
        for res in results:
            key = (str(res['video_id']), str(res['exp_id']))
            frame_key = key + (str(res['frame_id']), )
            if res['frame_id'] is not None and frame_key in seen:
                raise ValueError(f'frame scored twice: video '
                                 f'{key[0]!r}, expression {key[1]!r}, '
                                 f'frame {res["frame_id"]!r}')
            seen.add(frame_key)
            per_exp[key].append((res['J'], res['F']))
            kinds[key] = res.get('kind')
        if not per_exp:
            raise ValueError('JFMetric got no results')
        exp_jf = {
            key: (np.mean([s[0] for s in v]), np.mean([s[1] for s in v]))
            for key, v in per_exp.items()
        }
        j, f = _mean_percent(list(exp_jf.values()))
        metrics = OrderedDict()
        metrics['J&F'] = (j + f) / 2
        metrics['J'] = j
        metrics['F'] = f
        metrics['num_expressions'] = len(per_exp)
        metrics['num_frames'] = len(results)
        rows = [('all', len(per_exp), metrics['J&F'], j, f)]
        # MeViS-style breakdowns, where the samples say what each
        # expression refers to (object_ids / no_target)
        for kind in EXPRESSION_KINDS:
            scores = [v for k, v in exp_jf.items() if kinds[k] == kind]
            if scores and len(set(kinds.values())) > 1:
                kj, kf = _mean_percent(scores)
                metrics[f'{kind}/J&F'] = (kj + kf) / 2
                metrics[f'{kind}/num_expressions'] = len(scores)
                rows.append((kind, len(scores), (kj + kf) / 2, kj, kf))
        print_log(
            '\n' +
            format_table(f'J&F (percent; {len(results)} frames)',
                         ['expressions', 'count', 'J&F', 'J', 'F'], rows),
            logger='current')
        return metrics


#: the kinds of expression ``JFMetric`` breaks J&F down by
EXPRESSION_KINDS = ('single_object', 'multi_object', 'no_target')


def _expression_kind(sample: Any) -> Optional[str]:
    """``'no_target'`` / ``'multi_object'`` / ``'single_object'`` from the
    sample's ``no_target`` flag and ``object_ids`` (None without them)."""
    if to_python(sample_get(sample, 'no_target')):
        return 'no_target'
    ids = to_python(sample_get(sample, 'object_ids'))
    if ids is None:
        return None
    if len(ids) == 0:
        return 'no_target'
    return 'multi_object' if len(ids) > 1 else 'single_object'


def _mean_percent(scores: List[Tuple[float, float]]) -> Tuple[float, float]:
    """(mean J, mean F) in percent of per-expression (J, F) pairs."""
    return (float(np.mean([s[0] for s in scores])) * 100,
            float(np.mean([s[1] for s in scores])) * 100)
