"""``RefDAVIS17Metric``: Ref-DAVIS17 as ReferFormer scores it, four runs,
each merged per frame (ReferFormer's ``inference_davis.py``) and scored in
the unsupervised mode of the DAVIS 2017 toolkit (``eval_davis.py``), then
averaged. The facts carried over and how the numbers relate to the official
code: docs/metrics.md.
"""
import os
import os.path as osp
import zlib
from collections import OrderedDict, defaultdict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from scipy.optimize import linear_sum_assignment

from mmcsted.registry import METRICS
from mmcsted.utils.video_io import read_index_png
from ..functional import (FrameBoundaries, expression_id, format_table,
                          gt_and_void, pixel_map, region_similarity_j,
                          resize_mask, resize_score, sample_get, to_python)

VOID_LABEL = 255
#: ReferFormer's merge: probabilities under 0.5 are zeroed and a constant
#: 0.1 background is put in front of the expressions
MERGE_THRESHOLD = 0.5
MERGE_BACKGROUND = 0.1
#: the toolkit refuses a video whose predicted labels go above this
MAX_PROPOSALS = 20


def _pack(array: np.ndarray) -> bytes:
    """An array -> zlib-compressed bytes (masks compress ~100x; a claimed
    float32 probability stays about 4 bytes: its low bits are noise)."""
    return zlib.compress(np.ascontiguousarray(array).tobytes(), 1)


def _unpack(data: bytes, shape: Sequence[int], dtype=np.uint8) -> np.ndarray:
    return np.frombuffer(zlib.decompress(data), dtype=dtype).reshape(shape)


def merge_expression_masks(scores: np.ndarray) -> np.ndarray:
    """ReferFormer's merge of one frame's (N, H, W) claimed probabilities
    (0 where unclaimed, expressions by object id): the (H, W) arg-max over
    [0.1 background, expression 1, ..., N], 0 = background (docs/metrics.md,
    "RefDAVIS17Metric")."""
    if len(scores) == 0:
        raise ValueError('no expression to merge')
    background = np.full(
        (1, ) + scores.shape[1:], MERGE_BACKGROUND, dtype=scores.dtype)
    return np.argmax(np.concatenate([background, scores]), axis=0)


def unsupervised_video_scores(
        j_frames: np.ndarray,
        f_frames: np.ndarray) -> List[Tuple[int, float, float]]:
    """The toolkit's Hungarian matching of one video, from the (P, K, T) J
    and F of each (proposal, object) pair on each frame (P >= K): [(object
    index, J, F)] of the matched pairs, frame means, in proposal order."""
    cost = (np.mean(j_frames, axis=2) + np.mean(f_frames, axis=2)) / 2
    rows, cols = linear_sum_assignment(-cost)
    return [(int(c), float(np.mean(j_frames[r, c])),
             float(np.mean(f_frames[r, c]))) for r, c in zip(rows, cols)]


@METRICS.register_module()
class RefDAVIS17Metric(BaseMetric):
    """ReferFormer's Ref-DAVIS17 protocol.

    One data sample per (expression, frame); the inputs, the two sources
    of ground truth, the scoring and the output: docs/metrics.md,
    "RefDAVIS17Metric".

    Args:
        ann_dir (str, optional): the unsupervised annotation folder (see
            above). Default None: ground truth from the samples.
        runs (Sequence[str], optional): the runs expected; a missing one is
            an error. Default None: the runs found.
        bound_th (float): boundary tolerance of F. Defaults to 0.008.
        backend_args (dict, optional): mmengine storage backend of the
            ``ann_dir`` PNGs. Defaults to None (the local disk).
        threshold (float): claim threshold of ``seg_logits`` without
            ``pred_sem_seg``. Defaults to 0.5, ReferFormer's.
        **kwargs: ``collect_device``, ``prefix``, ``collect_dir`` of
            ``BaseMetric``.
    """

    default_prefix: Optional[str] = ''

    def __init__(self,
                 ann_dir: Optional[str] = None,
                 runs: Optional[Sequence[str]] = None,
                 bound_th: float = 0.008,
                 threshold: float = MERGE_THRESHOLD,
                 backend_args: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if bound_th <= 0:
            raise ValueError(f'`bound_th` must be > 0, got {bound_th}')
        if ann_dir is not None and not osp.isdir(ann_dir):
            raise FileNotFoundError(
                f'RefDAVIS17Metric: ann_dir not found: {ann_dir} (expected '
                'DAVIS/Annotations_unsupervised/480p)')
        self.ann_dir = ann_dir
        self.backend_args = backend_args
        self.runs = None if runs is None else [str(r) for r in runs]
        self.bound_th = float(bound_th)
        self.threshold = float(threshold)

    # ------------------------------------------------------------ process
    def _target_hw(self, sample: Any, gt: Optional[torch.Tensor],
                   fallback: Tuple[int, int]) -> Tuple[int, int]:
        if gt is not None:
            return tuple(gt.shape)
        ori = sample_get(sample, 'ori_shape')
        if ori is not None:
            return int(ori[0]), int(ori[1])
        return fallback

    def _claim_scores(self, sample: Any, gt: Optional[torch.Tensor]) -> tuple:
        """(float32 map, (H, W)): the probability where the expression
        claims the pixel (1.0 without a score), 0 elsewhere."""
        mask = pixel_map(sample, 'pred_sem_seg')
        score = pixel_map(sample, 'seg_logits')
        if mask is None and score is None:
            raise KeyError('RefDAVIS17Metric needs `pred_sem_seg` or '
                           '`seg_logits` in every data sample')
        ref = mask if mask is not None else score
        hw = self._target_hw(sample, gt, tuple(ref.shape))
        if score is None:
            score = torch.ones(hw)
        else:
            score = resize_score(score.float(), hw)
        if mask is not None:
            claim = resize_mask(mask.float() > 0, hw)
        else:
            claim = score >= self.threshold
        claimed = torch.where(claim, score, torch.zeros_like(score))
        return claimed.numpy().astype(np.float32), hw

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        for sample in data_samples:
            gt, void = (None, None) if self.ann_dir is not None else \
                gt_and_void(sample, 'RefDAVIS17Metric without `ann_dir`')
            scores, hw = self._claim_scores(sample, gt)
            object_ids = to_python(sample_get(sample, 'object_ids'))
            if isinstance(object_ids, int):
                object_ids = [object_ids]
            if not object_ids or len(object_ids) != 1:
                raise ValueError('RefDAVIS17Metric: each expression refers '
                                 f'to one object, got object_ids '
                                 f'{object_ids!r}')
            frame = sample_get(sample, 'frame_name')
            if frame is None:
                if self.ann_dir is not None:
                    raise KeyError('RefDAVIS17Metric with `ann_dir` needs '
                                   '`frame_name` (the mask file stem)')
                frame = sample_get(sample, 'frame_id')
            run = sample_get(sample, 'run')
            self.results.append(
                dict(
                    run='default' if run is None else str(run),
                    video_id=str(to_python(sample_get(sample, 'video_id'))),
                    exp_id=str(to_python(expression_id(sample))),
                    obj_id=int(object_ids[0]),
                    frame=str(to_python(frame)),
                    shape=hw,
                    pred=_pack(scores),
                    gt=None if gt is None else _pack(np.packbits(gt.numpy())),
                    void=None if void is None else _pack(np.packbits(void))))

    # ------------------------------------------------------------ compute
    def _gt_from_disk(self, video: str) -> Tuple[List[str], int]:
        """(mask frame stems sorted, K) of a video from ``ann_dir``."""
        vdir = osp.join(self.ann_dir, video)
        if not osp.isdir(vdir):
            raise FileNotFoundError(
                f'RefDAVIS17Metric: no annotation folder for {video!r}: '
                f'{vdir}')
        stems = sorted(
            osp.splitext(n)[0] for n in os.listdir(vdir)
            if n.lower().endswith('.png'))
        if not stems:
            raise FileNotFoundError(f'RefDAVIS17Metric: no mask in {vdir}')
        first = read_index_png(
            osp.join(vdir, stems[0] + '.png'), self.backend_args)
        first = np.where(first == VOID_LABEL, 0, first)
        return stems, int(first.max())

    def _frame_gt(self, video: str, frame: str, gt_ids: List[int],
                  by_exp: Dict[str, dict],
                  exp_obj: Dict[str, int]) -> Tuple[List[np.ndarray], Any]:
        """(GT mask per object of ``gt_ids``, void or None) of one frame."""
        if self.ann_dir is not None:
            ids = read_index_png(
                osp.join(self.ann_dir, video, frame + '.png'),
                self.backend_args)
            void = ids == VOID_LABEL
            return [ids == k for k in gt_ids], void
        masks, void = {}, None
        for exp_id, res in by_exp.items():
            hw = res['shape']
            obj = exp_obj[exp_id]
            if obj not in masks:
                bits = _unpack(res['gt'], (-1, ))
                masks[obj] = np.unpackbits(
                    bits, count=hw[0] * hw[1]).reshape(hw).astype(bool)
            if void is None and res['void'] is not None:
                void = np.unpackbits(
                    _unpack(res['void'], (-1, )),
                    count=hw[0] * hw[1]).reshape(hw).astype(bool)
        return [masks[k] for k in gt_ids], void

    def _stems_and_objects(self, run: str, video: str, frames: Dict[str, Any],
                           order: List[str], exp_obj: Dict[str, int]) -> tuple:
        """(frame stems scored, ground-truth object ids) of one video; every
        expression must cover every frame."""
        if self.ann_dir is not None:
            stems, k = self._gt_from_disk(video)
            gt_ids = list(range(1, k + 1))
            extra = sorted(set(frames) - set(stems))
            if extra:
                raise ValueError(
                    f'RefDAVIS17Metric: {run}/{video}: predictions for '
                    f'frames without a mask: {extra[:5]}')
        else:
            stems = sorted(frames)
            gt_ids = sorted(set(exp_obj.values()))
        for exp_id in order:
            lacking = [s for s in stems if exp_id not in frames.get(s, {})]
            if lacking:
                raise ValueError(
                    f'RefDAVIS17Metric: {run}/{video}: expression '
                    f'{exp_id!r} has no prediction for {len(lacking)} of '
                    f'{len(stems)} frames (e.g. {lacking[:3]}); the '
                    'protocol scores every frame')
        return stems, gt_ids

    @staticmethod
    def _merged_labels(name: str, stems: List[str],
                       frames: Dict[str, Dict[str, dict]],
                       order: List[str]) -> List[np.ndarray]:
        """The merged label map of each frame (ReferFormer's merge)."""
        merged = []
        for stem in stems:
            by_exp = frames[stem]
            hw = tuple(by_exp[order[0]]['shape'])
            if any(tuple(by_exp[e]['shape']) != hw for e in order):
                raise ValueError(f'RefDAVIS17Metric: {name}/{stem}: '
                                 'predictions of different sizes')
            merged.append(
                merge_expression_masks(
                    np.stack([
                        _unpack(by_exp[e]['pred'], hw, np.float32)
                        for e in order
                    ])).astype(np.uint8 if len(order) < 256 else np.int32))
        # the toolkit reads the labels from the PNGs: the proposals are
        # 1..(largest label present), padded with empty ones up to K
        largest = max(int(m.max()) for m in merged)
        if largest > MAX_PROPOSALS:
            raise ValueError(
                f'RefDAVIS17Metric: {name}: label {largest} above '
                f'the toolkit\'s {MAX_PROPOSALS} proposals')
        return merged

    def _score_video(
            self, run: str, video: str, frames: Dict[str, Dict[str, dict]],
            exp_obj: Dict[str, int]) -> List[Tuple[int, float, float]]:
        """[(gt object id, J, F)] of one video of one run."""
        # ReferFormer merges the expressions sorted by object id
        order = sorted(exp_obj, key=lambda e: (exp_obj[e], e))
        stems, gt_ids = self._stems_and_objects(run, video, frames, order,
                                                exp_obj)
        merged = self._merged_labels(f'{run}/{video}', stems, frames, order)
        if not gt_ids:
            return []
        num_pred = max(max(int(m.max()) for m in merged), len(gt_ids))
        j = np.zeros((num_pred, len(gt_ids), len(stems)))
        f = np.zeros_like(j)
        for t, stem in enumerate(stems):
            gts, void = self._frame_gt(video, stem, gt_ids, frames[stem],
                                       exp_obj)
            if gts[0].shape != merged[t].shape:
                raise ValueError(
                    f'RefDAVIS17Metric: {run}/{video}/{stem}: prediction '
                    f'{merged[t].shape} and ground truth {gts[0].shape} '
                    'differ in size')
            preds = [merged[t] == p + 1 for p in range(num_pred)]
            pred_b = FrameBoundaries(preds, void, self.bound_th)
            gt_b = FrameBoundaries(gts, void, self.bound_th)
            for p, pred in enumerate(preds):
                for g, gt in enumerate(gts):
                    j[p, g, t] = region_similarity_j(pred, gt, void)
                    f[p, g, t] = pred_b.f(p, g, gt_b)
        return [(gt_ids[g], jg, fg)
                for g, jg, fg in unsupervised_video_scores(j, f)]

    @staticmethod
    def _results_tree(results: List[dict]) -> tuple:
        """The results as run -> video -> frame -> exp_id -> result, and each
        (run, video)'s exp_id -> obj_id; raises ``ValueError`` on a frame
        scored twice or an expression given two objects."""
        tree: Dict[str, Dict[str, Dict[str, Dict[str, dict]]]] = \
            defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
        exp_objs: Dict[Tuple[str, str], Dict[str, int]] = defaultdict(dict)
        for res in results:
            run, video = res['run'], res['video_id']
            slot = tree[run][video][res['frame']]
            if res['exp_id'] in slot:
                raise ValueError(
                    f'frame scored twice: run {run!r}, video {video!r}, '
                    f'expression {res["exp_id"]!r}, frame {res["frame"]!r}')
            slot[res['exp_id']] = res
            known = exp_objs[(run, video)].setdefault(res['exp_id'],
                                                      res['obj_id'])
            if known != res['obj_id']:
                raise ValueError(
                    f'RefDAVIS17Metric: {run}/{video}: expression '
                    f'{res["exp_id"]!r} refers to objects {known} and '
                    f'{res["obj_id"]}')
        return tree, exp_objs

    def _runs_to_score(self, tree: Dict[str, Any]) -> List[str]:
        """The runs found, or ``self.runs`` when set (all must be found)."""
        runs = sorted(tree)
        if self.runs is not None:
            absent = [r for r in self.runs if r not in tree]
            if absent:
                raise ValueError(f'RefDAVIS17Metric: no result for runs '
                                 f'{absent} (found {runs})')
            runs = list(self.runs)
        return runs

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        if not results:
            raise ValueError('RefDAVIS17Metric got no results')
        tree, exp_objs = self._results_tree(results)
        runs = self._runs_to_score(tree)

        metrics: Dict[str, float] = OrderedDict()
        per_run = OrderedDict()
        for run in runs:
            objects = []
            for video in sorted(tree[run]):
                objects += self._score_video(run, video, tree[run][video],
                                             exp_objs[(run, video)])
            if not objects:
                raise ValueError(f'RefDAVIS17Metric: run {run!r} has no '
                                 'ground-truth object to score')
            j = float(np.mean([o[1] for o in objects])) * 100
            f = float(np.mean([o[2] for o in objects])) * 100
            per_run[run] = ((j + f) / 2, j, f, len(objects))
        scores = ('J&F', 'J', 'F')
        for k, name in enumerate(scores):
            metrics[name] = float(np.mean([v[k] for v in per_run.values()]))
        metrics['num_runs'] = len(per_run)
        for run, values in per_run.items():
            for name, value in zip(scores + ('num_objects', ), values):
                metrics[f'{run}/{name}'] = value
        rows = [(run, n, jf, j, f) for run, (jf, j, f, n) in per_run.items()]
        rows.append(
            ('mean of runs', '', metrics['J&F'], metrics['J'], metrics['F']))
        print_log(
            '\n' + format_table('Ref-DAVIS17 (percent)',
                                ['run', 'objects', 'J&F', 'J', 'F'], rows),
            logger='current')
        return metrics
