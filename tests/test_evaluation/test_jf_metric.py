"""J / F / JFMetric on masks whose scores are worked out by hand."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmcsted.evaluation import (JFMetric, boundary_f, boundary_tolerance,
                                mask_boundary, region_similarity_j)
from mmcsted.registry import METRICS
from mmcsted.structures import ActorSegDataSample


def stripe(first_col, shape=(10, 10)):
    """Full-height mask of the columns >= ``first_col``."""
    mask = np.zeros(shape, dtype=np.uint8)
    mask[:, first_col:] = 1
    return mask


def square(top, left, size=3, shape=(10, 10)):
    mask = np.zeros(shape, dtype=np.uint8)
    mask[top:top + size, left:left + size] = 1
    return mask


def test_j_tiny_pair():
    pred = np.array([[1, 1, 0], [0, 0, 0]])
    gt = np.array([[1, 0, 0], [1, 0, 0]])
    # I = 1 (pixel (0, 0)), U = 3 ((0, 0), (0, 1), (1, 0))
    assert region_similarity_j(pred, gt) == pytest.approx(1 / 3)


def test_j_with_void():
    pred = np.array([[1, 1, 0], [0, 0, 0]])
    gt = np.array([[1, 0, 0], [1, 0, 0]])
    void = np.array([[0, 1, 0], [0, 0, 0]])
    # (0, 1) left out: I = 1, U = 2
    assert region_similarity_j(pred, gt, void) == pytest.approx(0.5)
    # void over all of the union: empty union -> 1
    void_all = np.array([[1, 1, 0], [1, 0, 0]])
    assert region_similarity_j(pred, gt, void_all) == 1.0


def test_both_empty_and_one_empty():
    empty = np.zeros((6, 7), dtype=np.uint8)
    full = square(1, 1, shape=(6, 7))
    assert region_similarity_j(empty, empty) == 1.0
    assert boundary_f(empty, empty) == 1.0
    assert region_similarity_j(full, empty) == 0.0
    assert boundary_f(full, empty) == 0.0
    assert boundary_f(empty, full) == 0.0


def test_boundary_definition():
    # stripe of columns >= 4: the boundary is column 3 (the background pixels
    # whose right neighbour is foreground); the right image border is none
    bound = mask_boundary(stripe(4))
    expected = np.zeros((10, 10), dtype=bool)
    expected[:, 3] = True
    np.testing.assert_array_equal(bound, expected)


def test_boundary_tolerance_by_hand():
    # 10 x 10: diagonal sqrt(200) = 14.14; 0.008 * 14.14 = 0.113 -> 1 px
    assert boundary_tolerance((10, 10)) == 1
    # 480 x 854 (DAVIS 480p): diagonal 979.6; 0.008 * 979.6 = 7.84 -> 8 px
    assert boundary_tolerance((480, 854)) == 8
    assert boundary_tolerance((10, 10), bound_th=3) == 3


def test_boundary_shift_within_tolerance():
    gt = square(3, 3)
    pred = square(3, 4)  # one pixel to the right; tolerance 1 px
    assert region_similarity_j(pred, gt) == pytest.approx(6 / 12)
    assert boundary_f(pred, gt) == 1.0
    # the same for the stripes: boundary columns 3 and 4, 1 px apart
    assert boundary_f(stripe(5), stripe(4)) == 1.0


def test_boundary_shift_beyond_tolerance():
    # boundary columns 3 (gt) and 5 (pred): 2 px apart, tolerance 1 px
    assert boundary_f(stripe(6), stripe(4)) == 0.0
    # with a 2 px tolerance they match again
    assert boundary_f(stripe(6), stripe(4), bound_th=2) == 1.0


def test_boundary_partial_match():
    # pred: columns >= 5 in rows 0-4, >= 6 in rows 5-9. Its boundary:
    # (0..4, 4), (4, 5) (foreground over background) and (5..9, 5):
    # 11 pixels, of which the 5 in column 4 lie within 1 px of the gt
    # boundary (column 3): P = 5 / 11. Gt rows 0-4 of column 3 have a pred
    # boundary pixel next to them, rows 5-9 none: R = 5 / 10.
    # F = 2 P R / (P + R) = (5 / 11) / (21 / 22) = 10 / 21
    pred = stripe(5)
    pred[5:, 5] = 0
    assert np.count_nonzero(mask_boundary(pred)) == 11
    assert boundary_f(pred, stripe(4)) == pytest.approx(10 / 21)


def test_boundary_void():
    gt = square(0, 0)
    pred = square(6, 6)  # boundaries far apart: F = 0
    assert boundary_f(pred, gt) == 0.0
    # void over the prediction clears it: one empty boundary -> 0;
    # void over both clears both -> 1
    void = pred.copy()
    assert boundary_f(pred, gt, void) == 0.0
    assert boundary_f(pred, gt, np.maximum(void, gt)) == 1.0


def make_sample(pred, gt, video_id, exp_id, frame_id, as_dict=True, void=None):
    sample = ActorSegDataSample(
        metainfo=dict(video_id=video_id, exp_id=exp_id, frame_id=frame_id))
    sample.pred_sem_seg = PixelData(
        data=torch.as_tensor(np.asarray(pred), dtype=torch.uint8)[None])
    sample.gt_sem_seg = PixelData(
        data=torch.as_tensor(np.asarray(gt), dtype=torch.uint8)[None])
    if void is not None:
        sample.void_mask = PixelData(
            data=torch.as_tensor(np.asarray(void), dtype=torch.uint8)[None])
    return sample.to_dict() if as_dict else sample


def test_metric_registered():
    metric = METRICS.build(dict(type='JFMetric'))
    assert isinstance(metric, JFMetric)


def test_metric_means_over_frames_then_expressions():
    empty = np.zeros((10, 10), dtype=np.uint8)
    samples = [
        # expression ('v1', 0), two frames: (J, F) = (1, 1) and (0, 0)
        make_sample(square(2, 2), square(2, 2), 'v1', 0, 0),
        make_sample(empty, square(2, 2), 'v1', 0, 1, as_dict=False),
        # expression ('v1', 1), one frame: J = 50 / 60, F = 1 (1 px shift)
        make_sample(stripe(5), stripe(4), 'v1', 1, 0),
    ]
    metric = JFMetric()
    metric.process({}, samples[:2])
    metric.process({}, samples[2:])
    res = metric.evaluate(3)
    # per expression: J 0.5 and 5/6, F 0.5 and 1; mean over expressions
    # (a mean over the three frames would give J 11/18, F 2/3)
    assert res['J'] == pytest.approx(100 * (0.5 + 5 / 6) / 2)
    assert res['F'] == pytest.approx(75.0)
    assert res['J&F'] == pytest.approx((200 / 3 + 75) / 2)
    assert res['num_expressions'] == 2
    assert res['num_frames'] == 3


def test_metric_empty_ground_truth_as_eval_mevis():
    # by hand from eval_mevis.py's per-frame toolkit J and F: on an empty
    # ground truth J = 1 only for an empty prediction; F = 1 when the
    # prediction has no seg2bmap boundary, i.e. empty or the full frame (a
    # full mask differs from no right / lower neighbour inside the image and
    # the last row and column are compared only inside it)
    empty = np.zeros((10, 10), dtype=np.uint8)
    full = np.ones((10, 10), dtype=np.uint8)
    blob = square(2, 2)
    samples = [
        make_sample(empty, empty, 'v', 'a', 0),  # J 1, F 1
        make_sample(blob, empty, 'v', 'a', 1),  # J 0, F 0
        make_sample(blob, empty, 'v', 'b', 0, void=blob),  # all in void: 1, 1
        make_sample(full, empty, 'v', 'c', 0),  # J 0, F 1
    ]
    metric = JFMetric()
    metric.process({}, samples)
    res = metric.evaluate(4)
    assert res['J'] == pytest.approx((0.5 + 1 + 0) / 3 * 100)
    assert res['F'] == pytest.approx((0.5 + 1 + 1) / 3 * 100)
    # the optional stricter rule: any prediction outside void fails the frame
    strict = JFMetric(no_target_rule=True)
    strict.process({}, samples)
    res = strict.evaluate(4)
    assert res['J'] == pytest.approx((0.5 + 1 + 0) / 3 * 100)
    assert res['F'] == pytest.approx((0.5 + 1 + 0) / 3 * 100)


def test_metric_duplicate_frame_raises():
    blob = square(2, 2)
    metric = JFMetric()
    metric.process({}, [
        make_sample(blob, blob, 'v', 0, 3),
        make_sample(blob, blob, 'v', 0, 3)
    ])
    with pytest.raises(ValueError, match='scored twice'):
        metric.evaluate(2)


def test_dilate_boundary_equals_scipy_disk_dilation():
    from scipy import ndimage

    from mmcsted.evaluation.functional import (dilate_boundary, disk_kernel,
                                               mask_boundary)
    rng = np.random.default_rng(0)
    for radius in (1, 3, 6):
        mask = rng.random((47, 61)) > 0.7
        bound = mask_boundary(mask)
        expected = ndimage.binary_dilation(
            bound, structure=disk_kernel(radius))
        np.testing.assert_array_equal(dilate_boundary(bound, radius), expected)
    empty = np.zeros((5, 5), bool)
    assert not dilate_boundary(empty, 2).any()


def test_metric_breaks_down_by_kind_of_expression():
    empty = np.zeros((10, 10), dtype=np.uint8)
    blob = square(2, 2)

    def tagged(pred, gt, exp_id, frame_id, object_ids, no_target=False):
        sample = make_sample(pred, gt, 'v', exp_id, frame_id, as_dict=False)
        sample.set_metainfo(dict(object_ids=object_ids, no_target=no_target))
        return sample

    metric = JFMetric()
    metric.process(
        {},
        [
            tagged(blob, blob, 's', 0, [1]),  # single object, perfect: 1
            tagged(empty, blob, 'm', 0, [1, 2]),  # multi-object, missed: 0
            tagged(blob, blob, 'm', 1, [1, 2]),  # multi-object, perfect: 1
            tagged(blob, empty, 'n', 0, [],
                   no_target=True),  # false positive: 0
        ])
    res = metric.evaluate(4)
    assert res['J&F'] == pytest.approx(100 * (1 + 0.5 + 0) / 3)
    assert res['single_object/J&F'] == pytest.approx(100.0)
    assert res['multi_object/J&F'] == pytest.approx(50.0)
    assert res['no_target/J&F'] == pytest.approx(0.0)
    assert res['no_target/num_expressions'] == 1
    # one kind only (or none known): no breakdown
    metric = JFMetric()
    metric.process({}, [tagged(blob, blob, 's', 0, [1])])
    assert not any('/' in k for k in metric.evaluate(1))


def test_fractional_pixel_tolerance_is_the_toolkits_disk():
    # bound_th = 1.5 px: the toolkit's disk(1.5) is the 4 x 4 grid at
    # offsets -1.5, -0.5, 0.5, 1.5 with x^2 + y^2 <= 2.25, i.e. its 2 x 2
    # centre, and cv2.dilate (anchor 2) carries a pixel (r, c) to
    # (r..r+1, c..c+1). GT = pixel (2, 2): boundary (seg2bmap) {(1, 1),
    # (1, 2), (2, 1), (2, 2)}; prediction = pixel (3, 3): boundary {(2, 2),
    # (2, 3), (3, 2), (3, 3)}. GT dilated = rows/cols 1..3: all 4 predicted
    # boundary pixels match (P = 1); prediction dilated = rows/cols 2..4:
    # only (2, 2) of the GT's matches (R = 1/4); F = 2 * 1/4 / (5/4) = 0.4
    gt = np.zeros((6, 6), np.uint8)
    gt[2, 2] = 1
    pred = np.zeros((6, 6), np.uint8)
    pred[3, 3] = 1
    assert boundary_f(pred, gt, bound_th=1.5) == pytest.approx(0.4)
    # radius 2 (a whole number): every boundary pixel is within 2 px
    assert boundary_f(pred, gt, bound_th=2) == 1.0
    metric = JFMetric(bound_th=1.5)
    metric.process({}, [make_sample(pred, gt, 'v', 'a', 0)])
    assert metric.evaluate(1)['F'] == pytest.approx(40)
