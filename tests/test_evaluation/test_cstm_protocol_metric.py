"""ReferSegMetric(protocol='cstm') against CSTM's formula written
from scratch (utils/tool.report_evaluation_result of RyanHTR/CSTM)."""
import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData

from mmcsted.evaluation import ReferSegMetric, cstm_masks
from mmcsted.structures import ActorSegDataSample

IN = 32  # the model input size of these tests (320 in CSTM)


def cstm_reference(logits_list, gts):
    """CSTM's evaluation loop, restated: sigmoid * 255 at the input
    size, > 0.5 x max, cv2.resize to (W, H); the GT resized to the input
    size (bilinear, align_corners=True), > 0 -> 1, uint8, cv2.resize back;
    IoU with 1e-6 smoothing; P@X with >=; "mAP" = mean P@0.50:0.05:0.95."""
    ious, inters, unions = [], [], []
    for logits, gt in zip(logits_list, gts):
        H, W = gt.shape
        res = (torch.sigmoid(logits) * 255.0).numpy()
        pred = cv2.resize((res > np.amax(res) * 0.5).astype(np.uint8), (W, H))
        mask_large = F.interpolate(
            torch.from_numpy(gt).float()[None, None],
            size=(IN, IN),
            mode='bilinear',
            align_corners=True).squeeze()
        mask_large[mask_large > 0] = 1
        gt_r = cv2.resize(mask_large.numpy().astype(np.uint8), (W, H))
        i_area = (pred & (gt_r == 1.0)).astype(float).sum()
        o_area = (pred | (gt_r == 1.0)).astype(float).sum()
        ious.append((i_area + 1e-6) / (o_area + 1e-6))
        inters.append(i_area)
        unions.append(o_area)
    ious = np.array(ious)
    out = dict(
        mIoU=ious.mean() * 100, oIoU=np.sum(inters) / np.sum(unions) * 100)
    for x in (0.5, 0.6, 0.7, 0.8, 0.9):
        out[f'P@{x}'] = (ious >= x).mean() * 100
    out['AP_paper'] = np.mean([(ious >= t / 100.0).mean()
                               for t in range(50, 96, 5)]) * 100
    return out, ious


def make_cases(seed=0, n=12):
    """Blobs of logits at the input size and GT masks at frame sizes of
    several aspect ratios (some near the blob, some not)."""
    rng = np.random.default_rng(seed)
    logits_list, gts = [], []
    yy, xx = np.mgrid[0:IN, 0:IN]
    for i in range(n):
        H, W = [(24, 40), (48, 30), (31, 57), (32, 32)][i % 4]
        cy, cx, r = rng.uniform(8, 24), rng.uniform(8, 24), rng.uniform(3, 9)
        blob = 6 - ((yy - cy)**2 + (xx - cx)**2) / r**2 * 3
        logits = torch.from_numpy(
            (blob + rng.normal(0, 0.7, (IN, IN))).astype(np.float32))
        gy, gx = np.mgrid[0:H, 0:W]
        sy, sx = H / IN, W / IN
        gr = r * rng.uniform(0.7, 1.3)
        gt = ((((gy - (cy + rng.uniform(-3, 3)) * sy) / sy)**2 +
               ((gx - (cx + rng.uniform(-3, 3)) * sx) / sx)**2)
              < gr**2).astype(np.uint8)
        if i == 5:
            gt[:] = 0  # empty ground truth
        logits_list.append(logits)
        gts.append(gt)
    return logits_list, gts


def make_sample(logits, gt, idx, keep_input=True, as_dict=True):
    prob = torch.sigmoid(logits)[None]
    H, W = gt.shape
    s = ActorSegDataSample(
        metainfo=dict(
            sample_idx=idx,
            video_id='v',
            frame_id=idx + 1,
            instance_id=0,
            query='q',
            ori_shape=(H, W),
            img_shape=(IN, IN)))
    if keep_input:
        s.input_seg_logits = PixelData(data=prob)
    # the model's seg_logits: bilinear back to the frame size
    s.seg_logits = PixelData(
        data=F.interpolate(
            prob[None], (H, W), mode='bilinear', align_corners=False)[0])
    s.gt_sem_seg = PixelData(data=torch.from_numpy(gt)[None])
    return s.to_dict() if as_dict else s


def run(metric, samples):
    for i in range(0, len(samples), 3):
        metric.process({}, samples[i:i + 3])
    metric.kept = list(metric.results)
    return metric.evaluate(len(samples))


def test_cstm_protocol_equals_the_release_formula():
    logits_list, gts = make_cases()
    ref, ref_ious = cstm_reference(logits_list, gts)
    samples = [
        make_sample(lg, gt, i)
        for i, (lg, gt) in enumerate(zip(logits_list, gts))
    ]
    metric = ReferSegMetric(protocol='cstm')
    got = run(metric, samples)
    np.testing.assert_allclose([r['IoU'] for r in metric.kept],
                               ref_ious,
                               rtol=0,
                               atol=1e-12)
    for k, v in ref.items():
        assert got[k] == pytest.approx(v, abs=1e-9), k
    assert got['num_samples'] == len(samples)
    # the cases are not trivial: IoUs spread over the thresholds
    assert 0 < got['P@0.5'] < 100 and ref_ious.min() < 0.5
    # objects work like dicts
    objs = [
        make_sample(lg, gt, i, as_dict=False)
        for i, (lg, gt) in enumerate(zip(logits_list, gts))
    ]
    assert run(ReferSegMetric(protocol='cstm'), objs) == got


def test_cstm_protocol_differs_from_the_default_protocol():
    logits_list, gts = make_cases(seed=1, n=16)
    samples = [
        make_sample(lg, gt, i)
        for i, (lg, gt) in enumerate(zip(logits_list, gts))
    ]
    release = ReferSegMetric(protocol='cstm')
    default = ReferSegMetric()
    run(release, samples)
    run(default, samples)
    diff = [(a['I'], a['U']) != (b['I'], b['U'])
            for a, b in zip(release.kept, default.kept)]
    assert any(diff)


def test_cstm_masks_pieces():
    # binarised at the input size, then cv2's linear resize of the binary
    # mask; the GT round trip can grow or move the mask
    score = np.zeros((8, 8), np.float32)
    score[2:5, 2:6] = 0.9
    score[0, 0] = 0.46  # > 0.5 * 0.9 -> foreground
    gt = np.zeros((12, 20), np.uint8)
    gt[1:2, 3:4] = 1  # a single pixel: the round trip widens it
    pred, gt_r = cstm_masks(score, gt)
    small = (score * np.float32(255) > (score * np.float32(255)).max() * 0.5)
    np.testing.assert_array_equal(
        pred,
        cv2.resize(small.astype(np.uint8), (20, 12)) == 1)
    assert gt_r.sum() > 1
    _, gt_same = cstm_masks(score, gt, gt_round_trip=False)
    np.testing.assert_array_equal(gt_same, gt > 0)
    # the option of the metric
    s = ActorSegDataSample(metainfo=dict(sample_idx=0))
    s.input_seg_logits = PixelData(data=torch.from_numpy(score)[None])
    s.gt_sem_seg = PixelData(data=torch.from_numpy(gt)[None])
    m = ReferSegMetric(protocol='cstm', cstm_gt_round_trip=False)
    m.process({}, [s.to_dict()])
    p = pred
    assert m.results[0]['I'] == int((p & (gt > 0)).sum())
    assert m.results[0]['U'] == int((p | (gt > 0)).sum())


def test_cstm_protocol_errors_and_coco(tmp_path):
    logits_list, gts = make_cases(n=4)
    with pytest.raises(KeyError, match='keep_input_seg_logits'):
        ReferSegMetric(protocol='cstm').process(
            {}, [make_sample(logits_list[0], gts[0], 0, keep_input=False)])
    with pytest.raises(ValueError, match='protocol'):
        ReferSegMetric(protocol='mttr')
    with pytest.raises(ValueError, match='binarize'):
        ReferSegMetric(protocol='cstm', binarize='threshold')
    pytest.importorskip('pycocotools')
    samples = [
        make_sample(lg, gt, i)
        for i, (lg, gt) in enumerate(zip(logits_list, gts))
    ]
    out = run(ReferSegMetric(protocol='cstm', coco_map=True), samples)
    assert 0 <= out['coco_mAP'] <= 100


def test_two_metrics_dump_to_two_files(tmp_path):
    """The CSTM config's evaluator: the CSTM protocol and mmcsted's,
    given one --out path, write two files."""
    from mmengine.evaluator import Evaluator
    logits_list, gts = make_cases(n=4)
    samples = [
        make_sample(lg, gt, i)
        for i, (lg, gt) in enumerate(zip(logits_list, gts))
    ]
    out = str(tmp_path / 'res.json')
    ev = Evaluator([
        dict(type='ReferSegMetric', protocol='cstm', out_file_path=out),
        dict(
            type='ReferSegMetric',
            prefix='mmcsted',
            out_file_tag='mmcsted',
            out_file_path=out)
    ])
    ev.process(samples)
    res = ev.evaluate(len(samples))
    assert 'oIoU' in res and 'mmcsted/oIoU' in res
    assert (tmp_path / 'res.json').is_file()
    assert (tmp_path / 'res.mmcsted.json').is_file()


def test_model_keeps_the_input_size_score():
    """CSTED.predict with test_cfg keep_input_seg_logits=True: the input-size
    probability (before the resize back) next to seg_logits; off by
    default."""
    from tests.test_models.utils import build_tiny
    torch.manual_seed(0)
    model = build_tiny().eval()
    assert not model.test_cfg.get('keep_input_seg_logits', False)
    clip = torch.randint(0, 255, (3, 8, 64, 64), dtype=torch.uint8)
    meta = dict(
        query='a red dog',
        img_shape=(64, 64),
        ori_shape=(40, 70),
        target_index=4)

    def predict():
        s = ActorSegDataSample(metainfo=meta)
        with torch.no_grad():
            return model.test_step(dict(inputs=[clip], data_samples=[s]))[0]

    out = predict()
    assert 'input_seg_logits' not in out
    model.test_cfg['keep_input_seg_logits'] = True
    out = predict()
    score_in = out.input_seg_logits.data
    assert tuple(score_in.shape) == (1, 64, 64)
    assert tuple(out.seg_logits.data.shape) == (1, 40, 70)
    back = F.interpolate(
        score_in[None], (40, 70), mode='bilinear', align_corners=False)[0]
    torch.testing.assert_close(out.seg_logits.data, back)
