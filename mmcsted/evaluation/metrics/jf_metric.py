"""Region similarity J and boundary accuracy F (DAVIS), and ``JFMetric``.

The video-object-segmentation measures of DAVIS (Perazzi et al., CVPR 2016;
davis2017-evaluation), as Ref-YouTube-VOS, Ref-DAVIS17 and MeViS report them:

* ``J`` (region similarity): IoU of the binary prediction and ground truth
  over the non-void pixels; 1.0 when both are empty.
* ``F`` (boundary accuracy): the F-measure of the boundary pixels. The
  boundary of a mask is the DAVIS ``seg2bmap`` boundary: a pixel that differs
  from its right, lower or lower-right neighbour (outside the image counts as
  background, except that the bottom row compares only to the right, the
  right column only downwards and the bottom-right pixel never). A boundary
  pixel of one mask matches if a boundary pixel of the other lies within a
  disk of radius ``ceil(bound_th * diagonal)`` pixels (``bound_th >= 1`` is
  taken as the radius in pixels). Precision = matched predicted boundary /
  predicted boundary, recall = matched ground-truth boundary / ground-truth
  boundary, ``F = 2PR / (P + R)`` (0 when ``P + R == 0``); F is 1 when both
  boundaries are empty and 0 when exactly one is. Void pixels are cleared
  from both masks before the boundaries are taken.

``JFMetric`` averages the per-frame J and F over the frames of each
expression (a video and an expression id), then over the expressions, and
reports ``J``, ``F`` and ``J&F`` = (J + F) / 2 in percent. It also writes
the challenge submissions of Ref-YouTube-VOS and MeViS
(:mod:`mmcsted.evaluation.submission`), with ``format_only`` for the splits
without ground truth.
"""
import math
from collections import OrderedDict, defaultdict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F_
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmcsted.registry import METRICS
from ..submission import SUBMISSION_LAYOUTS, SubmissionWriter
from .refer_seg_metric import _field_data, _get, _plain, _to_2d_tensor


def _as_bool(mask: Any, name: str) -> np.ndarray:
    """A 2-D boolean array from an array / tensor (foreground > 0)."""
    if isinstance(mask, torch.Tensor):
        mask = mask.detach().cpu().numpy()
    mask = np.asarray(mask)
    if mask.ndim == 3 and mask.shape[0] == 1:
        mask = mask[0]
    if mask.ndim != 2:
        raise ValueError(f'`{name}` must be a (H, W) mask, got shape '
                         f'{mask.shape}')
    return mask > 0


def _check_shapes(pred: np.ndarray, gt: np.ndarray,
                  void: Optional[np.ndarray]) -> None:
    if pred.shape != gt.shape:
        raise ValueError(f'pred {pred.shape} and gt {gt.shape} differ in '
                         'shape')
    if void is not None and void.shape != gt.shape:
        raise ValueError(f'void {void.shape} and gt {gt.shape} differ in '
                         'shape')


def region_similarity_j(pred: Any, gt: Any, void: Any = None) -> float:
    """IoU of two binary masks over the non-void pixels (J of DAVIS).

    Args:
        pred, gt: (H, W) masks, foreground > 0.
        void: optional (H, W) mask of pixels to leave out (> 0).

    Returns:
        float: |pred & gt| / |pred | gt| over non-void pixels; 1.0 when the
        union is empty (both masks empty).
    """
    pred = _as_bool(pred, 'pred')
    gt = _as_bool(gt, 'gt')
    void = None if void is None else _as_bool(void, 'void')
    _check_shapes(pred, gt, void)
    keep = np.ones_like(gt) if void is None else ~void
    inter = np.count_nonzero(pred & gt & keep)
    union = np.count_nonzero((pred | gt) & keep)
    if union == 0:
        return 1.0
    return inter / union


def mask_boundary(mask: Any) -> np.ndarray:
    """The DAVIS ``seg2bmap`` boundary of a binary mask (see module doc)."""
    seg = _as_bool(mask, 'mask')
    right = np.zeros_like(seg)
    down = np.zeros_like(seg)
    down_right = np.zeros_like(seg)
    right[:, :-1] = seg[:, 1:]
    down[:-1, :] = seg[1:, :]
    down_right[:-1, :-1] = seg[1:, 1:]
    bound = (seg ^ right) | (seg ^ down) | (seg ^ down_right)
    bound[-1, :] = seg[-1, :] ^ right[-1, :]
    bound[:, -1] = seg[:, -1] ^ down[:, -1]
    bound[-1, -1] = False
    return bound


def boundary_tolerance(shape: Sequence[int], bound_th: float = 0.008) -> int:
    """Match radius in pixels: ``bound_th`` itself if >= 1, else
    ``ceil(bound_th * sqrt(H ** 2 + W ** 2))``."""
    if bound_th >= 1:
        return int(round(bound_th))
    return int(math.ceil(bound_th * math.hypot(shape[0], shape[1])))


def _disk(radius: int) -> np.ndarray:
    """Disk structuring element: offsets with dy ** 2 + dx ** 2 <= r ** 2."""
    ys, xs = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    return ys * ys + xs * xs <= radius * radius


def boundary_f(pred: Any,
               gt: Any,
               void: Any = None,
               bound_th: float = 0.008) -> float:
    """Boundary F-measure of DAVIS (see the module doc).

    Args:
        pred, gt: (H, W) masks, foreground > 0.
        void: optional (H, W) mask of pixels cleared from both masks.
        bound_th: tolerance as a fraction of the image diagonal (< 1) or in
            pixels (>= 1). Defaults to 0.008.

    Returns:
        float: F in [0, 1].
    """
    pred = _as_bool(pred, 'pred')
    gt = _as_bool(gt, 'gt')
    void = None if void is None else _as_bool(void, 'void')
    _check_shapes(pred, gt, void)
    if void is not None:
        pred = pred & ~void
        gt = gt & ~void
    pred_b = mask_boundary(pred)
    gt_b = mask_boundary(gt)
    radius = boundary_tolerance(gt.shape, bound_th)
    return boundary_f_measure(pred_b, dilate_boundary(pred_b, radius), gt_b,
                              dilate_boundary(gt_b, radius))


def dilate_boundary(bound: np.ndarray, radius: int) -> np.ndarray:
    """``bound`` dilated by the disk of ``radius`` (``cv2.dilate``: the same
    result as ``scipy.ndimage.binary_dilation`` with that symmetric disk;
    at 480 x 854, radius 8: 1.5 ms against 48 ms on a 2-core AMD EPYC)."""
    if radius <= 0 or not bound.any():
        return bound
    import cv2
    return cv2.dilate(bound.astype(np.uint8),
                      _disk(radius).astype(np.uint8)) > 0


def boundary_f_measure(pred_b: np.ndarray, pred_dil: np.ndarray,
                       gt_b: np.ndarray, gt_dil: np.ndarray) -> float:
    """F of two boundaries given with their dilations (see the module doc:
    1 if both are empty, 0 if one is)."""
    n_pred = int(np.count_nonzero(pred_b))
    n_gt = int(np.count_nonzero(gt_b))
    if n_pred == 0 and n_gt == 0:
        return 1.0
    if n_pred == 0 or n_gt == 0:
        return 0.0
    precision = np.count_nonzero(pred_b & gt_dil) / n_pred
    recall = np.count_nonzero(gt_b & pred_dil) / n_gt
    if precision + recall == 0:
        return 0.0
    return float(2 * precision * recall / (precision + recall))


@METRICS.register_module()
class JFMetric(BaseMetric):
    """J, F and J&F of referring video object segmentation.

    **Input.** ``process`` takes data samples (dicts or data elements), one
    per (expression, frame), with

    * ``pred_mask.data``: binary (1, H, W) prediction (> 0 is foreground);
      without it, ``pred_score.data`` >= ``threshold``. A prediction of
      another size than the ground truth is resized (nearest);
    * ``gt_mask.data``: (1, H, W) ground truth, > 0 is foreground;
    * ``void_mask.data`` (optional): (1, H, W), > 0 marks void pixels;
    * metainfo ``video_id``, ``exp_id`` (the expression key; ``exp_id``
      falls back to ``query`` when absent) and ``frame_id``.

    **Scores.** Per frame J (:func:`region_similarity_j`) and F
    (:func:`boundary_f`). With ``no_target_rule=True`` (MeViS) a frame whose
    ground truth is empty scores J = F = 1 if the prediction is empty and 0
    otherwise (which the two formulas also give without void pixels; the
    rule makes it explicit and ignores void there). Each expression's J and F
    are the means over its frames; the reported ``J`` and ``F`` are the
    means over expressions, ``J&F`` their mean; all in percent, with
    ``num_expressions`` and ``num_frames``.

    A (video_id, exp_id, frame_id) seen twice raises ``ValueError``.

    **Breakdowns.** Where the samples carry ``object_ids`` (and MeViS's
    ``no_target``), ``single_object/J&F``, ``multi_object/J&F`` and
    ``no_target/J&F`` (with their ``num_expressions``) are reported for the
    kinds present, when more than one is.

    **Submission.** With ``output_dir``, every prediction is also written as
    a 0/255 PNG at ``ori_shape`` (metainfo ``video_id``, ``exp_id``,
    ``frame_name``, ``ori_shape``; ``run`` if set) in the
    ``submission_layout`` as it is processed, and the end of the evaluation
    checks the set and zips it (see :class:`SubmissionWriter`). The set is
    checked against ``dataset_meta['expected_frames']``
    (``{video_id: {exp_id: [frame, ...]}}``) when the dataset's metainfo has
    it (else only the counts are logged); a frame written twice is an error.
    ``format_only=True`` (Ref-YouTube-VOS valid, MeViS valid) needs no
    ground truth: nothing is scored and the metrics are the counts
    ``num_videos``, ``num_expressions``, ``num_frames``. Without it the
    PNGs are written besides the scores (e.g. to keep MeViS valid_u
    predictions).

    Under distributed testing each rank writes its own samples' PNGs and
    rank 0 (mmengine's ``BaseMetric.evaluate`` calls ``compute_metrics``
    there only, after collecting every rank's results) checks and zips
    them: ``output_dir`` must be on a filesystem all ranks share.

    Args:
        bound_th (float): boundary tolerance (see :func:`boundary_f`).
            Defaults to 0.008.
        threshold (float): binarisation of ``pred_score`` when there is no
            ``pred_mask``. Defaults to 0.5.
        no_target_rule (bool): the MeViS rule above. Defaults to True.
        format_only (bool): only write the submission (needs
            ``output_dir``). Defaults to False.
        output_dir (str, optional): where the PNGs go (and the zip, unless
            ``zip_file``). Defaults to None: no PNGs.
        submission_layout (str, optional): ``'ref_youtube_vos'``
            (``Annotations/<vid>/<exp_id>/<frame>.png``) or ``'mevis'``
            (``<vid>/<exp_id>/<frame>.png``); required with ``output_dir``.
        zip_file (str, optional): the zip's path. Defaults to
            ``output_dir/submission.zip``.
        collect_device, prefix, collect_dir: see ``BaseMetric``.
    """

    default_prefix: Optional[str] = ''

    def __init__(self,
                 bound_th: float = 0.008,
                 threshold: float = 0.5,
                 no_target_rule: bool = True,
                 format_only: bool = False,
                 output_dir: Optional[str] = None,
                 submission_layout: Optional[str] = None,
                 zip_file: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
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
        mask_data = _field_data(_get(sample, 'pred_mask'))
        if mask_data is not None:
            pred = _to_2d_tensor(mask_data, 'pred_mask').float() > 0
        else:
            score_data = _field_data(_get(sample, 'pred_score'))
            if score_data is None:
                raise KeyError('JFMetric needs `pred_mask` or `pred_score` '
                               'in every data sample')
            pred = _to_2d_tensor(score_data,
                                 'pred_score').float() >= self.threshold
        if tuple(pred.shape) != gt_hw:
            pred = F_.interpolate(
                pred.float()[None, None], size=gt_hw, mode='nearest')[0,
                                                                      0] > 0.5
        return pred

    def frame_scores(self,
                     pred: Any,
                     gt: Any,
                     void: Any = None) -> Tuple[float, float]:
        """(J, F) of one frame, with the no-target rule if enabled."""
        gt_b = _as_bool(gt, 'gt')
        pred_b = _as_bool(pred, 'pred')
        if self.no_target_rule and not gt_b.any():
            score = 0.0 if pred_b.any() else 1.0
            return score, score
        return (region_similarity_j(pred_b, gt_b, void),
                boundary_f(pred_b, gt_b, void, bound_th=self.bound_th))

    def _write(self, sample: Any) -> dict:
        """Write the sample's prediction PNG at ``ori_shape``; its record."""
        ori_shape = _plain(_get(sample, 'ori_shape'))
        if ori_shape is None or len(ori_shape) < 2:
            raise KeyError('the submission needs `ori_shape` (the frame\'s '
                           'original size) in every data sample')
        pred = self._pred(sample, (int(ori_shape[0]), int(ori_shape[1])))
        return self.writer.write(
            pred.numpy(),
            video_id=_plain(_get(sample, 'video_id')),
            exp_id=_plain(_get(sample, 'exp_id')),
            frame_name=_plain(_get(sample, 'frame_name')),
            run=_plain(_get(sample, 'run')))

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        for sample in data_samples:
            record = None if self.writer is None else self._write(sample)
            if self.format_only:
                self.results.append(dict(submission=record))
                continue
            gt_data = _field_data(_get(sample, 'gt_mask'))
            if gt_data is None:
                raise KeyError('JFMetric needs `gt_mask` in every data '
                               'sample')
            gt = _to_2d_tensor(gt_data, 'gt_mask') > 0
            pred = self._pred(sample, tuple(gt.shape))
            void_data = _field_data(_get(sample, 'void_mask'))
            void = None
            if void_data is not None:
                void = (_to_2d_tensor(void_data, 'void_mask') > 0).numpy()
            j, f = self.frame_scores(pred.numpy(), gt.numpy(), void)
            exp_id = _get(sample, 'exp_id')
            if exp_id is None:
                exp_id = _get(sample, 'query')
            self.results.append(
                dict(
                    video_id=_plain(_get(sample, 'video_id')),
                    exp_id=_plain(exp_id),
                    frame_id=_plain(_get(sample, 'frame_id')),
                    kind=_expression_kind(sample),
                    J=float(j),
                    F=float(f),
                    submission=record))

    def _finalize_submission(self, results: List[dict]) -> Dict[str, int]:
        expected = (self.dataset_meta or {}).get('expected_frames')
        return self.writer.finalize([r['submission'] for r in results],
                                    expected)

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
        print_log(
            f'J&F {metrics["J&F"]:.2f}  J {j:.2f}  F {f:.2f} over '
            f'{len(per_exp)} expressions, {len(results)} frames',
            logger='current')
        # MeViS-style breakdowns, where the samples say what each
        # expression refers to (object_ids / no_target)
        for kind in EXPRESSION_KINDS:
            scores = [v for k, v in exp_jf.items() if kinds[k] == kind]
            if scores and len(set(kinds.values())) > 1:
                kj, kf = _mean_percent(scores)
                metrics[f'{kind}/J&F'] = (kj + kf) / 2
                metrics[f'{kind}/num_expressions'] = len(scores)
                print_log(
                    f'  {kind}: J&F {(kj + kf) / 2:.2f} over {len(scores)} '
                    'expressions',
                    logger='current')
        return metrics


#: the kinds of expression ``JFMetric`` breaks J&F down by
EXPRESSION_KINDS = ('single_object', 'multi_object', 'no_target')


def _expression_kind(sample: Any) -> Optional[str]:
    """``'no_target'`` / ``'multi_object'`` / ``'single_object'`` from the
    sample's ``no_target`` flag and ``object_ids`` (None without them)."""
    if _plain(_get(sample, 'no_target')):
        return 'no_target'
    ids = _plain(_get(sample, 'object_ids'))
    if ids is None:
        return None
    if len(ids) == 0:
        return 'no_target'
    return 'multi_object' if len(ids) > 1 else 'single_object'


def _mean_percent(scores: List[Tuple[float, float]]) -> Tuple[float, float]:
    """(mean J, mean F) in percent of per-expression (J, F) pairs."""
    return (float(np.mean([s[0] for s in scores])) * 100,
            float(np.mean([s[1] for s in scores])) * 100)
