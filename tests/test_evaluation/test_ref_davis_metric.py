"""RefDAVIS17Metric (ReferFormer's four-run protocol) against values worked
by hand.

Frames are 12 x 12 (boundary tolerance ceil(0.008 * 17) = 1 px). Object 1
is the 3 x 3 block rows/cols 1..3, object 2 the block rows/cols 7..9: their
boundaries are 3 px apart, so a prediction of one scores J = F = 0 against
the other, and exactly J = F = 1 against itself.
"""
import numpy as np
import pytest
from PIL import Image

from mmcsted.evaluation import RefDAVIS17Metric, merge_expression_masks
from mmcsted.evaluation.functional import FrameBoundaries, boundary_f

H = W = 12
RUNS = ('anno1_first_frame', 'anno1_full_video', 'anno2_first_frame',
        'anno2_full_video')


def block(r0, c0, size=3):
    m = np.zeros((H, W), np.uint8)
    m[r0:r0 + size, c0:c0 + size] = 1
    return m


OBJ = {1: block(1, 1), 2: block(7, 7)}
EMPTY = np.zeros((H, W), np.uint8)


def sample(run, video, obj, frame, pred, gt=None, void=None, score=None):
    s = dict(
        run=run,
        video_id=video,
        exp_id=f'{run}_{obj - 1}',
        object_ids=[obj],
        frame_name=f'{frame:05d}',
        frame_id=frame + 1)
    if pred is not None:
        s['pred_sem_seg'] = dict(data=pred[None])
    if score is not None:
        s['seg_logits'] = dict(data=score[None].astype(np.float32))
    s['gt_sem_seg'] = dict(data=(OBJ[obj] if gt is None else gt)[None])
    if void is not None:
        s['void_mask'] = dict(data=void[None])
    return s


def video_samples(run, video, preds, frames=2):
    """One sample per (object, frame); ``preds``: obj -> predicted mask."""
    return [
        sample(run, video, obj, t, preds[obj]) for obj in sorted(preds)
        for t in range(frames)
    ]


def evaluate(metric, samples):
    metric.process(None, samples)
    return metric.compute_metrics(metric.results)


def test_perfect_prediction_is_100():
    m = RefDAVIS17Metric()
    out = evaluate(m, video_samples(RUNS[0], 'bear', {1: OBJ[1], 2: OBJ[2]}))
    assert out['J&F'] == pytest.approx(100)
    assert out['J'] == pytest.approx(100) and out['F'] == pytest.approx(100)
    assert out[f'{RUNS[0]}/num_objects'] == 2
    assert out['num_runs'] == 1


def test_swapped_objects_still_100_by_hungarian_matching():
    # the expression of object 1 segments object 2 and vice versa
    m = RefDAVIS17Metric()
    out = evaluate(m, video_samples(RUNS[0], 'bear', {1: OBJ[2], 2: OBJ[1]}))
    assert out['J&F'] == pytest.approx(100)


def test_one_object_empty():
    # object 1 perfect (J = F = 1), object 2 predicted empty (J = F = 0 on
    # both frames): the run's J and F are (1 + 0) / 2 over the 2 objects
    m = RefDAVIS17Metric()
    out = evaluate(m, video_samples(RUNS[0], 'bear', {1: OBJ[1], 2: EMPTY}))
    assert out['J'] == pytest.approx(50)
    assert out['F'] == pytest.approx(50)
    assert out['J&F'] == pytest.approx(50)


def test_objects_of_all_videos_averaged_not_videos():
    # video a: 2 objects (1 right, 1 empty); video b: 1 object, right.
    # per object: 1, 0, 1 -> 66.67 (a mean of videos would give 75)
    samples = video_samples(RUNS[0], 'a', {1: OBJ[1], 2: EMPTY})
    samples += video_samples(RUNS[0], 'b', {1: OBJ[1]})
    out = evaluate(RefDAVIS17Metric(), samples)
    assert out['J'] == pytest.approx(200 / 3)
    assert out[f'{RUNS[0]}/num_objects'] == 3


def test_four_runs_averaged():
    samples = []
    # runs 1, 3, 4 perfect; run 2 leaves object 2 empty (50)
    for run in RUNS:
        pred2 = EMPTY if run == 'anno1_full_video' else OBJ[2]
        samples += video_samples(run, 'bear', {1: OBJ[1], 2: pred2})
    m = RefDAVIS17Metric(runs=RUNS)
    out = evaluate(m, samples)
    assert out['num_runs'] == 4
    assert out['anno1_full_video/J&F'] == pytest.approx(50)
    for run in ('anno1_first_frame', 'anno2_first_frame', 'anno2_full_video'):
        assert out[f'{run}/J&F'] == pytest.approx(100)
        assert out[f'{run}/J'] == pytest.approx(100)
    assert out['J&F'] == pytest.approx((100 * 3 + 50) / 4)
    assert out['J'] == pytest.approx(87.5)
    # an expected run without results is an error
    m = RefDAVIS17Metric(runs=RUNS)
    with pytest.raises(ValueError, match='anno2_full_video'):
        evaluate(m, video_samples(RUNS[0], 'bear', {1: OBJ[1]}))


def test_void_pixels():
    # the toolkit (since "Fixed void mask computation", 2019; the copy
    # ReferFormer vendors) takes 255 as void and leaves it out of J and F.
    # GT: object 1; void = the 2 x 2 block rows/cols 10..11, which the
    # prediction also covers, and GT pixel (2, 2), which it misses: off the
    # void the prediction equals the GT, so J = F = 1
    void = np.zeros((H, W), np.uint8)
    void[10:12, 10:12] = 1
    void[2, 2] = 1
    pred = OBJ[1] | void
    pred[2, 2] = 0
    samples = [sample(RUNS[0], 'v', 1, t, pred, void=void) for t in range(2)]
    out = evaluate(RefDAVIS17Metric(), samples)
    assert out['J'] == pytest.approx(100) and out['F'] == pytest.approx(100)
    # without void, the same prediction has 4 false positives and 1 miss
    samples = [sample(RUNS[0], 'v', 1, t, pred) for t in range(2)]
    assert evaluate(RefDAVIS17Metric(),
                    samples)['J'] == pytest.approx(100 * 8 / 13)


def test_merge_is_referformer_argmax():
    # expression 1 claims everything at 0.6; expression 2 claims (0, 0) at
    # 0.9 and (1, 1) at 0.6, a tie that the first (lower id) wins as
    # torch.argmax does; unclaimed pixels are 0, under the 0.1 background
    scores = np.zeros((2, 2, 2), np.float32)
    scores[0] = 0.6
    scores[1, 0, 0] = 0.9
    scores[1, 1, 1] = 0.6
    assert merge_expression_masks(scores).tolist() == [[2, 1], [1, 1]]
    scores[0, 1, 0] = 0
    assert merge_expression_masks(scores).tolist() == [[2, 1], [0, 1]]
    # probabilities closer than 8 bits (and than float16 near 1) still decide
    scores[0, 0, 1], scores[1, 0, 1] = 0.9995, 0.9996
    assert merge_expression_masks(scores)[0, 1] == 2


def test_overlapping_scores_decide_through_the_metric():
    # both expressions claim both blocks; object 1's expression is a bit
    # surer of block 1 (0.901 against 0.900), object 2's of block 2: the
    # arg-max gives each object its block, J = F = 1 -> 100 (8-bit ranks
    # made both 230 and gave both blocks to object 1: 25)
    for low, high in ((0.6, 0.9), (0.900, 0.901), (0.9990, 0.9995)):
        s1 = np.where(OBJ[1] > 0, high, np.where(OBJ[2] > 0, low, 0.1))
        s2 = np.where(OBJ[2] > 0, high, np.where(OBJ[1] > 0, low, 0.1))
        samples = []
        for t in range(2):
            samples.append(sample(RUNS[0], 'o', 1, t, None, score=s1))
            samples.append(sample(RUNS[0], 'o', 2, t, None, score=s2))
        assert evaluate(RefDAVIS17Metric(),
                        samples)['J&F'] == pytest.approx(100)
    # binary masks only: object 1's expression (lower id) takes both
    # blocks, object 2's gets nothing: whichever GT object the full
    # prediction is matched to scores J = 9 / 18, the other J = 0
    both = OBJ[1] | OBJ[2]
    samples = []
    for t in range(2):
        samples.append(sample(RUNS[0], 'o', 1, t, both))
        samples.append(sample(RUNS[0], 'o', 2, t, both))
    out = evaluate(RefDAVIS17Metric(), samples)
    assert out['J'] == pytest.approx(100 * 9 / 18 / 2)


def test_duplicate_frame_and_missing_frames_are_errors():
    s = video_samples(RUNS[0], 'bear', {1: OBJ[1]})
    with pytest.raises(ValueError, match='scored twice'):
        evaluate(RefDAVIS17Metric(), s + s[:1])
    s = video_samples(RUNS[0], 'bear', {1: OBJ[1], 2: OBJ[2]})
    with pytest.raises(ValueError, match='no prediction for 1 of 2 frames'):
        evaluate(RefDAVIS17Metric(), s[:-1])


def test_results_are_compact():
    m = RefDAVIS17Metric()
    m.process(None, video_samples(RUNS[0], 'bear', {1: OBJ[1]}))
    res = m.results[0]
    assert isinstance(res['pred'], bytes) and isinstance(res['gt'], bytes)
    assert res['shape'] == (H, W)


def _write_png(path, ids):
    img = Image.fromarray(ids.astype(np.uint8), mode='P')
    img.putpalette([0, 0, 0, 200, 0, 0, 0, 200, 0, 0, 0, 200] + [0] * 756)
    img.save(path)


def test_ground_truth_from_annotation_folder(tmp_path):
    """With ann_dir: every object of the first frame is scored, also one
    without an expression; an object appearing only later is not."""
    vdir = tmp_path / 'bear'
    vdir.mkdir()
    for t in range(2):
        ids = OBJ[1] + 2 * OBJ[2]
        ids[0, 11] = 255  # void
        if t == 1:
            ids[5, 0] = 3  # object 3 appears in frame 1 only
        _write_png(vdir / f'{t:05d}.png', ids)
    only_obj1 = video_samples(RUNS[0], 'bear', {1: OBJ[1]})
    # from the samples: only object 1 (the one with an expression) -> 100
    assert evaluate(RefDAVIS17Metric(), only_obj1)['J&F'] == pytest.approx(100)
    # from the annotation folder: objects 1 and 2 -> (100 + 0) / 2;
    # object 3 is not scored
    m = RefDAVIS17Metric(ann_dir=str(tmp_path))
    out = evaluate(m, only_obj1)
    assert out['J&F'] == pytest.approx(50)
    assert out[f'{RUNS[0]}/num_objects'] == 2
    # a mask frame without prediction is an error
    m = RefDAVIS17Metric(ann_dir=str(tmp_path))
    with pytest.raises(ValueError, match='no prediction'):
        evaluate(m, only_obj1[:1])
    with pytest.raises(FileNotFoundError, match='ann_dir'):
        RefDAVIS17Metric(ann_dir=str(tmp_path / 'absent'))


def ref_davis_samples(root, miss_frame=None):
    """The packed test samples of a Ref-DAVIS17 tree with their ground truth
    as prediction (empty on frame ``miss_frame``)."""
    from mmengine.structures import PixelData

    from mmcsted.datasets import RefDAVIS17Dataset
    ds = RefDAVIS17Dataset(
        data_root=str(root),
        pipeline=[
            dict(type='VideoInit'),
            dict(type='SampleClipAroundFrame', clip_len=1),
            dict(type='VideoDecode'),
            dict(type='LoadActorMask'),
            dict(type='PackActorSegInputs')
        ],
        test_mode=True)
    samples = []
    for i in range(len(ds)):
        data_sample = ds[i]['data_samples']
        pred = data_sample.gt_sem_seg.data
        if data_sample.frame_id == miss_frame:
            pred = pred * 0
        data_sample.pred_sem_seg = PixelData(data=pred.clone())
        samples.append(data_sample)
    return samples


def test_end_to_end_on_a_release_tree_with_an_oracle(tmp_path):
    """Dataset -> LoadActorMask -> PackActorSegInputs -> metric, with the
    ground truth as prediction: 100 on every run, from the samples' GT and
    from the annotation folder alike; the void column is no object."""
    from tests.ref_davis_tree import write_ref_davis_tree
    root = write_ref_davis_tree(tmp_path)
    samples = ref_davis_samples(root)
    ann_dir = root / 'DAVIS' / 'Annotations_unsupervised' / '480p'
    for metric in (RefDAVIS17Metric(runs=RUNS),
                   RefDAVIS17Metric(ann_dir=str(ann_dir), runs=RUNS)):
        out = evaluate(metric, samples)
        assert out['J&F'] == pytest.approx(100)
        for run in RUNS:
            assert out[f'{run}/num_objects'] == 4  # 2 videos x 2 objects


@pytest.mark.parametrize('bound_th', [0.008, 3, 0.05])
def test_cached_boundaries_give_boundary_f(bound_th):
    rng = np.random.default_rng(0)
    from scipy import ndimage
    masks = []
    for _ in range(4):
        noise = rng.random((60, 90)) > 0.97
        masks.append(ndimage.binary_dilation(noise, iterations=3))
    masks.append(np.zeros((60, 90), bool))
    void = np.zeros((60, 90), bool)
    void[20:30, 40:70] = True
    for v in (None, void):
        side = FrameBoundaries(masks, v, bound_th)
        for p in range(len(masks)):
            for g in range(len(masks)):
                assert side.f(p, g, side) == pytest.approx(
                    boundary_f(masks[p], masks[g], v, bound_th=bound_th))


def test_proposals_padded_to_the_largest_label_present(tmp_path):
    """The toolkit pads the proposals to max(largest label present, K), not
    to the number of expressions. 4 frames; object 1 is in frame 0 only
    (K = 1), object 2 appears from frame 1 (not scored). Expression 1
    predicts object 1's block on every frame, expression 2 nothing, so
    label 2 never appears and the only proposal is label 1: J per frame
    1, 0, 0, 0 (false positives on an empty GT) and F 1, 0, 0, 0 (a boundary
    against none) -> J&F 25. An extra empty proposal would have won the
    matching with 0, 1, 1, 1 -> 75."""
    vdir = tmp_path / 'cat'
    vdir.mkdir()
    for t in range(4):
        _write_png(vdir / f'{t:05d}.png', OBJ[1] if t == 0 else 2 * OBJ[2])
    samples = [
        sample(RUNS[0], 'cat', obj, t, OBJ[1] if obj == 1 else EMPTY)
        for obj in (1, 2) for t in range(4)
    ]
    out = evaluate(RefDAVIS17Metric(ann_dir=str(tmp_path)), samples)
    assert out[f'{RUNS[0]}/num_objects'] == 1
    assert out['J'] == pytest.approx(25) and out['F'] == pytest.approx(25)
    # when label 2 does win pixels it is a proposal, and the empty one
    # does not exist: still 25
    samples = [
        sample(RUNS[0], 'cat', obj, t, OBJ[obj]) for obj in (1, 2)
        for t in range(4)
    ]
    out = evaluate(RefDAVIS17Metric(ann_dir=str(tmp_path)), samples)
    # proposal 2 (object 2's block on frames 0-3) against object 1:
    # J 0 on frame 0, 0 on frames 1-3 (false positives) -> proposal 1 wins
    assert out['J&F'] == pytest.approx(25)


def test_metric_does_not_depend_on_the_sample_order(tmp_path):
    # the dataset orders its samples video by video (they were run by run):
    # the metric groups them per run, video and expression, so any order of
    # the same predictions scores the same
    from tests.ref_davis_tree import write_ref_davis_tree
    samples = ref_davis_samples(write_ref_davis_tree(tmp_path), miss_frame=2)
    scores = []
    for ordered in (samples, samples[::-1]):
        metric = RefDAVIS17Metric(runs=RUNS)
        metric.process(None, ordered)
        scores.append(metric.compute_metrics(metric.results))
    assert scores[0]['J&F'] < 100
    assert scores[0] == scores[1]
