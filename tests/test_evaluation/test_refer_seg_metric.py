import csv
import json

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmcsted.evaluation import ReferSegMetric
from mmcsted.registry import METRICS
from mmcsted.structures import ActorSegDataSample

A2D_ACTORS = ('adult', 'baby', 'ball', 'bird', 'car', 'cat', 'dog')
A2D_ACTIONS = ('climbing', 'crawling', 'eating', 'flying', 'jumping',
               'rolling', 'running', 'walking', 'none')


def make_sample(score, gt, idx, as_dict=True, pred_sem_seg=None, **meta):
    """A data sample in mmengine's ``to_dict`` form (or as an object)."""
    score = torch.as_tensor(np.asarray(score), dtype=torch.float32)[None]
    gt = torch.as_tensor(np.asarray(gt), dtype=torch.uint8)[None]
    info = dict(
        sample_idx=idx,
        video_id=f'v{idx // 3}',
        frame_id=idx % 3 + 1,
        instance_id=idx % 2,
        query=f'query {idx}')
    info.update(meta)
    sample = ActorSegDataSample(metainfo=info)
    sample.seg_logits = PixelData(data=score)
    sample.gt_sem_seg = PixelData(data=gt)
    if pred_sem_seg is not None:
        mask = torch.as_tensor(np.asarray(pred_sem_seg), dtype=torch.uint8)
        sample.pred_sem_seg = PixelData(data=mask[None])
    return sample.to_dict() if as_dict else sample


def run_metric(metric, samples, batch_size=2):
    for i in range(0, len(samples), batch_size):
        metric.process({}, samples[i:i + batch_size])
    # evaluate() clears metric.results: keep a copy for the per-sample checks
    metric.kept_results = list(metric.results)
    return metric.evaluate(len(samples))


# ---------------------------------------------------------------------- #
# numpy reference
# ---------------------------------------------------------------------- #
def ref_binarize(score, mode='max_ratio', ratio=0.5, thr=0.5):
    score = np.asarray(score, dtype=np.float64)
    if mode == 'max_ratio':
        return score > ratio * score.max()
    return score >= thr


def ref_metrics(pairs, smooth=1e-6, op='>='):
    """pairs: list of (pred bool array, gt bool array)."""
    inter = np.array([np.logical_and(p, g).sum() for p, g in pairs], float)
    union = np.array([np.logical_or(p, g).sum() for p, g in pairs], float)
    ious = (inter + smooth) / (union + smooth)

    def prec(x):
        return 100 * np.mean(ious >= x if op == '>=' else ious > x)

    out = dict(oIoU=100 * inter.sum() / union.sum(), mIoU=100 * ious.mean())
    for x in (0.5, 0.6, 0.7, 0.8, 0.9):
        out[f'P@{x}'] = prec(x)
    out['AP_paper'] = np.mean([
        prec(x)
        for x in (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
    ])
    return out, ious


def random_case(n=12, seed=0):
    rng = np.random.RandomState(seed)
    samples, pairs = [], []
    for i in range(n):
        h, w = rng.randint(5, 12), rng.randint(5, 12)
        gt = np.zeros((h, w), np.uint8)
        y, x = rng.randint(0, h - 2), rng.randint(0, w - 2)
        dy, dx = rng.randint(2, h - y + 1), rng.randint(2, w - x + 1)
        gt[y:y + dy, x:x + dx] = 1
        score = np.clip(gt * 0.7 + rng.rand(h, w) * 0.5, 0, 1)
        samples.append(make_sample(score, gt, i))
        pairs.append((ref_binarize(score), gt.astype(bool)))
    return samples, pairs


def test_registry_and_defaults():
    metric = METRICS.build(dict(type='ReferSegMetric'))
    assert isinstance(metric, ReferSegMetric)
    assert metric.iou_smooth == 1e-6
    assert metric.precision_op == '>='
    assert metric.binarize == 'max_ratio'
    assert metric.coco_map is False
    with pytest.raises(ValueError):
        ReferSegMetric(precision_op='>>')
    with pytest.raises(ValueError):
        ReferSegMetric(binarize='otsu')


def test_against_numpy_reference():
    samples, pairs = random_case()
    res = run_metric(ReferSegMetric(), samples, batch_size=5)
    ref, _ = ref_metrics(pairs)
    main = [
        'oIoU', 'mIoU', 'P@0.5', 'P@0.6', 'P@0.7', 'P@0.8', 'P@0.9',
        'AP_paper', 'num_samples'
    ]
    assert list(res)[:len(main)] == main
    for k, v in ref.items():
        assert res[k] == pytest.approx(v, abs=1e-9), k
    assert res['num_samples'] == len(samples)


def test_objects_and_dicts_agree():
    samples, _ = random_case(n=5, seed=3)
    objs = [
        make_sample(
            s['seg_logits']['data'][0].numpy(),
            s['gt_sem_seg']['data'][0].numpy(),
            i,
            as_dict=False) for i, s in enumerate(samples)
    ]
    assert run_metric(ReferSegMetric(),
                      samples) == run_metric(ReferSegMetric(), objs)


def test_results_hold_numbers_not_masks():
    samples, _ = random_case(n=3)
    metric = ReferSegMetric()
    metric.process({}, samples)
    for r in metric.results:
        assert {'I', 'U', 'IoU'} <= set(r)
        assert not any(
            isinstance(v, (torch.Tensor, np.ndarray)) for v in r.values())
        assert 'pred_rle' not in r


def test_empty_cases():
    gt_full = np.zeros((4, 4), np.uint8)
    gt_full[:2, :2] = 1
    zeros = np.zeros((4, 4))
    pred_some = np.zeros((4, 4))
    pred_some[0, 0] = 0.9
    samples = [
        make_sample(zeros, gt_full, 0),  # all-zero map -> empty pred, gt 4
        make_sample(pred_some, np.zeros((4, 4)), 1),  # empty gt, pred 1 px
        make_sample(zeros, np.zeros((4, 4)), 2),  # both empty
    ]
    metric = ReferSegMetric()
    res = run_metric(metric, samples)
    by_idx = {r['sample_idx']: r for r in metric.kept_results}
    s = 1e-6
    assert (by_idx[0]['I'], by_idx[0]['U']) == (0, 4)
    assert by_idx[0]['IoU'] == pytest.approx(s / (4 + s))
    assert (by_idx[1]['I'], by_idx[1]['U']) == (0, 1)
    assert by_idx[1]['IoU'] == pytest.approx(s / (1 + s))
    assert (by_idx[2]['I'], by_idx[2]['U']) == (0, 0)
    assert by_idx[2]['IoU'] == 1.0
    assert res['oIoU'] == 0.0  # 0 / 5
    assert res['mIoU'] == pytest.approx(100 / 3, abs=1e-4)
    assert res['P@0.5'] == pytest.approx(100 / 3)
    assert res['AP_paper'] == pytest.approx(100 / 3)


def test_both_empty_without_smoothing_and_all_empty_oiou():
    metric = ReferSegMetric(iou_smooth=0)
    res = run_metric(metric,
                     [make_sample(np.zeros((3, 3)), np.zeros((3, 3)), 0)])
    assert metric.kept_results[0]['IoU'] == 1.0
    assert res['oIoU'] == 100.0 and res['mIoU'] == 100.0


def test_max_ratio_vs_threshold():
    score = np.array([[0.6, 0.4], [0.2, 0.0]])
    gt = np.array([[1, 1], [0, 0]])
    # max_ratio: > 0.3 -> {0.6, 0.4} == gt
    m1 = ReferSegMetric()
    r1 = run_metric(m1, [make_sample(score, gt, 0)])
    assert (m1.kept_results[0]['I'], m1.kept_results[0]['U']) == (2, 2)
    assert r1['mIoU'] == pytest.approx(100)
    # threshold 0.5: >= 0.5 -> {0.6}
    m2 = ReferSegMetric(binarize='threshold')
    r2 = run_metric(m2, [make_sample(score, gt, 0)])
    assert (m2.kept_results[0]['I'], m2.kept_results[0]['U']) == (1, 2)
    assert r2['mIoU'] == pytest.approx(50, abs=1e-4)
    # threshold is inclusive
    m3 = ReferSegMetric(binarize='threshold', threshold=0.4)
    run_metric(m3, [make_sample(score, gt, 0)])
    assert (m3.kept_results[0]['I'], m3.kept_results[0]['U']) == (2, 2)
    # a constant map c > 0 gives score > 0.5 * c everywhere -> all pixels
    m4 = ReferSegMetric()
    run_metric(m4, [make_sample(np.full((2, 2), 0.3), gt, 0)])
    assert (m4.kept_results[0]['I'], m4.kept_results[0]['U']) == (2, 4)


def test_pred_mask_mode():
    gt = np.array([[1, 1], [0, 0]])
    sample = make_sample(
        np.zeros((2, 2)), gt, 0, pred_sem_seg=np.array([[1, 0], [0, 0]]))
    m = ReferSegMetric(binarize='pred_sem_seg')
    run_metric(m, [sample])
    assert (m.kept_results[0]['I'], m.kept_results[0]['U']) == (1, 2)
    with pytest.raises(KeyError):
        ReferSegMetric(binarize='pred_sem_seg').process(
            {}, [make_sample(np.zeros((2, 2)), gt, 0)])


def test_precision_op_at_exact_threshold():
    # IoU exactly 0.5 (I = 2, U = 4) and exactly 0.6 (I = 3, U = 5)
    gt1 = np.array([[1, 1, 1, 1]])
    sc1 = np.array([[1, 1, 0, 0]])
    gt2 = np.array([[1, 1, 1, 1, 1]])
    sc2 = np.array([[1, 1, 1, 0, 0]])
    samples = [make_sample(sc1, gt1, 0), make_sample(sc2, gt2, 1)]
    ge = run_metric(ReferSegMetric(iou_smooth=0, precision_op='>='), samples)
    gt_ = run_metric(ReferSegMetric(iou_smooth=0, precision_op='>'), samples)
    assert ge['P@0.5'] == 100 and ge['P@0.6'] == 50 and ge['P@0.7'] == 0
    assert gt_['P@0.5'] == 50 and gt_['P@0.6'] == 0
    # AP_paper over 10 thresholds x 2 samples. '>=': 0.5 -> 2, 0.55 -> 1,
    # 0.6 -> 1 (4 / 20); '>': 0.5 -> 1, 0.55 -> 1, 0.6 -> 0 (2 / 20)
    assert ge['AP_paper'] == pytest.approx(100 * 4 / 20)
    assert gt_['AP_paper'] == pytest.approx(100 * 2 / 20)
    # numpy reference agrees (same smoothing/operator)
    pairs = [(sc1 > 0.5, gt1 > 0), (sc2 > 0.5, gt2 > 0)]
    for op, res in (('>=', ge), ('>', gt_)):
        ref, _ = ref_metrics(pairs, smooth=0, op=op)
        for k, v in ref.items():
            assert res[k] == pytest.approx(v), (op, k)
    # documented: the 1e-6 smoothing lifts an exact tie, so '>' passes it
    sm = run_metric(ReferSegMetric(precision_op='>'), samples)
    assert sm['P@0.5'] == 100


def test_resize_smaller_prediction():
    # 2x2 score, 4x4 gt; bilinear (align_corners=False) upsampling of
    # [[1, 0], [0, 0]] gives 1, .75, .75, .5625 in the top-left 2x2 block and
    # <= .25 elsewhere: > 0.5 * max selects exactly that block.
    score = np.array([[1.0, 0.0], [0.0, 0.0]])
    gt = np.zeros((4, 4), np.uint8)
    gt[:2, :2] = 1
    m = ReferSegMetric()
    run_metric(m, [make_sample(score, gt, 0)])
    assert (m.kept_results[0]['I'], m.kept_results[0]['U']) == (4, 4)
    # with threshold 0.7 only the three pixels 1, .75, .75 pass
    m = ReferSegMetric(binarize='threshold', threshold=0.7)
    run_metric(m, [make_sample(score, gt, 0)])
    assert (m.kept_results[0]['I'], m.kept_results[0]['U']) == (3, 4)


def test_breakdown_by_class_and_flags():
    samples, pairs = random_case(n=6, seed=1)
    actor = [1, 1, 7, 7, -1, None]
    action = [9, 1, 9, None, 1, 9]
    flags = [{'twin': True}, {'twin': False}, {'twin': True}, None, {}, None]
    for s, a, b, f in zip(samples, actor, action, flags):
        s['actor_class'] = a
        s['action_class'] = b
        if f is not None:
            s['query_flags'] = f
    metric = ReferSegMetric()
    metric.dataset_meta = dict(
        actor_classes=A2D_ACTORS, action_classes=A2D_ACTIONS)
    res = run_metric(metric, samples)
    _, ious = ref_metrics(pairs)

    def check(key, members):
        inter = sum(np.logical_and(*pairs[i]).sum() for i in members)
        union = sum(np.logical_or(*pairs[i]).sum() for i in members)
        assert res[f'{key}/count'] == len(members)
        assert res[f'{key}/mIoU'] == pytest.approx(100 * ious[members].mean())
        assert res[f'{key}/oIoU'] == pytest.approx(100 * inter / union)

    check('actor/adult', [0, 1])
    check('actor/dog', [2, 3])
    check('action/none', [0, 2, 5])
    check('action/climbing', [1, 4])
    check('flag/twin', [0, 2])
    check('flag/not_twin', [1])
    assert 'actor/baby/count' not in res
    keys = list(res)
    assert keys.index('num_samples') < keys.index('actor/adult/mIoU')


def test_no_breakdown_without_meta():
    samples, _ = random_case(n=2)
    for s in samples:
        s['actor_class'] = 1
    res = run_metric(ReferSegMetric(), samples)
    assert not any(k.startswith('actor/') for k in res)


def test_duplicates_raise_and_padding_dropped():
    samples, _ = random_case(n=3)
    dup = ReferSegMetric()
    dup.process({}, samples + [samples[1]])
    with pytest.raises(ValueError, match='more than one prediction'):
        dup.evaluate(4)
    # mmengine drops the sampler's padding by the dataset size
    pad = ReferSegMetric()
    pad.process({}, samples + [samples[0]])
    assert pad.evaluate(3)['num_samples'] == 3
    # without sample_idx the (video, frame, instance, query) key is used
    for s in samples:
        s.pop('sample_idx')
    m = ReferSegMetric()
    m.process({}, samples + [samples[2]])
    with pytest.raises(ValueError):
        m.evaluate(4)


def test_dump_json_and_csv(tmp_path):
    samples, pairs = random_case(n=4, seed=2)
    samples[0]['query_flags'] = {'twin': True}
    _, ious = ref_metrics(pairs)
    # feed in reverse order: the dump is sorted by sample_idx
    for suffix in ('json', 'csv'):
        path = tmp_path / 'sub' / f'out.{suffix}'
        run_metric(ReferSegMetric(out_file_path=str(path)), samples[::-1])
        if suffix == 'json':
            records = json.loads(path.read_text())
        else:
            with open(path, newline='') as f:
                records = list(csv.DictReader(f))
        assert len(records) == 4
        for i, rec in enumerate(records):
            p, g = pairs[i]
            assert int(rec['sample_idx']) == i
            assert rec['video_id'] == f'v{i // 3}'
            assert int(rec['frame_id']) == i % 3 + 1
            assert int(rec['instance_id']) == i % 2
            assert rec['query'] == f'query {i}'
            assert int(rec['I']) == np.logical_and(p, g).sum()
            assert int(rec['U']) == np.logical_or(p, g).sum()
            assert float(rec['IoU']) == pytest.approx(ious[i])
        flags = records[0]['query_flags']
        if suffix == 'csv':
            flags = json.loads(flags)
        assert flags == {'twin': True}


def test_coco_map_perfect_and_half():
    gt1 = np.zeros((6, 6), np.uint8)
    gt1[1:4, 1:5] = 1
    gt2 = np.zeros((5, 7), np.uint8)
    gt2[2:, :3] = 1
    perfect = [make_sample(gt1 * 0.9, gt1, 0), make_sample(gt2 * 0.8, gt2, 1)]
    metric = ReferSegMetric(coco_map=True)
    res = run_metric(metric, perfect)
    assert {'pred_rle', 'gt_rle'} <= set(metric.kept_results[0])
    assert res['coco_mAP'] == pytest.approx(100)
    assert res['coco_AP50'] == pytest.approx(100)
    assert res['coco_AP75'] == pytest.approx(100)
    keys = list(res)
    assert keys.index('AP_paper') < keys.index('coco_mAP') < keys.index(
        'num_samples')
    # one perfect detection (score .9) and one complete miss (score .8):
    # precision 1 up to recall .5, nothing beyond -> 51 of COCO's 101 recall
    # points
    miss = np.zeros((5, 7))
    miss[0, 6] = 0.8
    half = [make_sample(gt1 * 0.9, gt1, 0), make_sample(miss, gt2, 1)]
    res = run_metric(ReferSegMetric(coco_map=True), half)
    assert res['coco_mAP'] == pytest.approx(100 * 51 / 101)
    assert res['coco_AP50'] == pytest.approx(100 * 51 / 101)
    assert res['P@0.5'] == 50 and res['AP_paper'] == 50
    # off by default
    assert 'coco_mAP' not in run_metric(ReferSegMetric(), perfect)


def test_with_mmengine_evaluator():
    from mmengine.evaluator import Evaluator
    samples, pairs = random_case(n=4)
    evaluator = Evaluator(dict(type='mmcsted.ReferSegMetric'))
    evaluator.dataset_meta = dict(
        actor_classes=A2D_ACTORS, action_classes=A2D_ACTIONS)
    objs = [
        make_sample(
            s['seg_logits']['data'][0].numpy(),
            s['gt_sem_seg']['data'][0].numpy(),
            i,
            as_dict=False,
            actor_class=2) for i, s in enumerate(samples)
    ]
    evaluator.process(objs[:2])
    evaluator.process(objs[2:])
    res = evaluator.evaluate(4)
    ref, _ = ref_metrics(pairs)
    assert res['mIoU'] == pytest.approx(ref['mIoU'])
    assert res['actor/baby/count'] == 4


def test_mmseg_counts_equal_the_boolean_counts():
    from mmcsted.evaluation.functional import foreground_intersect_and_union
    g = torch.Generator().manual_seed(0)
    for h, w in [(1, 1), (7, 13), (240, 320)]:
        for p_fg in (0.0, 0.3, 1.0):
            pred = torch.rand(h, w, generator=g) < p_fg
            gt = torch.rand(h, w, generator=g) < 0.5
            assert foreground_intersect_and_union(pred, gt) == (int(
                (pred & gt).sum()), int((pred | gt).sum()))
