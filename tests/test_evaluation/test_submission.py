"""Submission zips of Ref-YouTube-VOS and MeViS through JFMetric."""
import argparse
import importlib.util
import json
import os.path as osp
import zipfile

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.config import Config
from mmengine.structures import PixelData
from PIL import Image

from mmcsted.evaluation import (JFMetric, SubmissionWriter, submission,
                                submission_png_path)
from mmcsted.structures import ActorSegDataSample

# video -> (H, W), {exp_id: listed frames}; sizes differ per video as in the
# releases (Ref-YouTube-VOS: 720x1280, 1080x1920, ...; scaled down here)
VIDEOS = {
    '003234408d': ((6, 9), {
        '0': ['00000', '00005', '00010'],
        '1': ['00000', '00005', '00010']
    }),
    '0a7a2514aa': ((8, 5), {
        '0': ['00000', '00005']
    }),
}


def pred_for(video_id, exp_id, frame_name, shape):
    """A distinct, known mask per frame: a block whose corner depends on the
    frame; expression '1' of the first video predicts nothing (no target)."""
    mask = np.zeros(shape, dtype=np.uint8)
    if exp_id == '1':
        return mask
    k = int(frame_name) // 5
    mask[k:k + 3, k + 1:k + 3] = 1
    return mask


def make_sample(video_id, exp_id, frame_name, shape, pred=None, gt=None):
    sample = ActorSegDataSample(
        metainfo=dict(
            video_id=video_id,
            exp_id=exp_id,
            frame_name=frame_name,
            frame_id=int(frame_name) // 5 + 1,
            query=f'expression {exp_id}',
            ori_shape=shape))
    if pred is None:
        pred = pred_for(video_id, exp_id, frame_name, shape)
    sample.pred_sem_seg = PixelData(data=torch.from_numpy(pred)[None].bool())
    if gt is not None:
        sample.gt_sem_seg = PixelData(data=torch.from_numpy(gt)[None])
    return sample


def all_samples():
    return [
        make_sample(vid, exp, frame, shape)
        for vid, (shape, exps) in VIDEOS.items()
        for exp, frames in exps.items() for frame in frames
    ]


def expected_frames():
    return {vid: exps for vid, (_, exps) in VIDEOS.items()}


def expected_names(prefix):
    """Every entry ``zip -r`` writes for the tree under ``prefix``."""
    names = {prefix} if prefix else set()
    for vid, (_, exps) in VIDEOS.items():
        names.add(f'{prefix}{vid}/')
        for exp, frames in exps.items():
            names.add(f'{prefix}{vid}/{exp}/')
            names.update(f'{prefix}{vid}/{exp}/{f}.png' for f in frames)
    return names


def run_metric(metric, samples, batch=2):
    for i in range(0, len(samples), batch):
        metric.process({}, samples[i:i + batch])
    return metric.evaluate(len(samples))


@pytest.mark.parametrize('layout,prefix', [('ref_youtube_vos', 'Annotations/'),
                                           ('mevis', '')])
def test_format_only_zip_layout_and_pngs(tmp_path, layout, prefix):
    out = tmp_path / 'sub'
    metric = JFMetric(
        format_only=True, output_dir=str(out), submission_layout=layout)
    metric.dataset_meta = dict(expected_frames=expected_frames())
    counts = run_metric(metric, all_samples())
    assert counts == dict(num_videos=2, num_expressions=3, num_frames=8)
    zip_path = out / 'submission.zip'
    with zipfile.ZipFile(zip_path) as zf:
        assert set(zf.namelist()) == expected_names(prefix)
        assert len(zf.namelist()) == len(expected_names(prefix))
        for vid, (shape, exps) in VIDEOS.items():
            for exp, frames in exps.items():
                for frame in frames:
                    with zf.open(f'{prefix}{vid}/{exp}/{frame}.png') as f:
                        image = Image.open(f)
                        image.load()
                    assert image.mode == 'L'
                    assert image.size == (shape[1], shape[0])
                    pixels = np.asarray(image)
                    assert set(np.unique(pixels)) <= {0, 255}
                    np.testing.assert_array_equal(
                        pixels,
                        pred_for(vid, exp, frame, shape).astype(np.uint8) *
                        255)
    # the no-target expression is a set of all-zero PNGs, still present
    png = out / prefix / '003234408d' / '1' / '00005.png'
    assert not np.asarray(Image.open(png)).any()


def test_prediction_resized_to_original_size(tmp_path):
    # a score map at another size (binarised at the threshold, resized
    # nearest) still gives a PNG at ori_shape
    sample = ActorSegDataSample(
        metainfo=dict(
            video_id='v', exp_id='0', frame_name='00000', ori_shape=(8, 12)))
    score = torch.zeros(1, 4, 6)
    score[0, :2, :3] = 0.9
    sample.seg_logits = PixelData(data=score)
    metric = JFMetric(
        format_only=True, output_dir=str(tmp_path), submission_layout='mevis')
    run_metric(metric, [sample])
    pixels = np.asarray(Image.open(tmp_path / 'v' / '0' / '00000.png'))
    expected = np.zeros((8, 12), dtype=np.uint8)
    expected[:4, :6] = 255
    np.testing.assert_array_equal(pixels, expected)


def test_duplicate_frame_is_an_error(tmp_path):
    samples = all_samples()
    samples.append(make_sample('0a7a2514aa', '0', '00005', (8, 5)))
    metric = JFMetric(
        format_only=True,
        output_dir=str(tmp_path),
        submission_layout='ref_youtube_vos')
    with pytest.raises(
            ValueError,
            match='predicted twice: '
            'Annotations/0a7a2514aa/0/00005.png'):
        run_metric(metric, samples)
    assert not (tmp_path / 'submission.zip').exists()


def test_missing_and_unexpected_frames_are_errors(tmp_path):
    samples = [
        s for s in all_samples()
        if not (s.video_id == '003234408d' and s.exp_id == '0'
                and s.frame_name == '00010')
    ]
    metric = JFMetric(
        format_only=True,
        output_dir=str(tmp_path / 'a'),
        submission_layout='ref_youtube_vos')
    metric.dataset_meta = dict(expected_frames=expected_frames())
    with pytest.raises(
            ValueError,
            match='1 of 8 expected .* missing, e.g. '
            '003234408d/0/00010'):
        run_metric(metric, samples)
    assert not (tmp_path / 'a' / 'submission.zip').exists()

    extra = all_samples() + [make_sample('ffffffffff', '0', '00000', (4, 4))]
    metric = JFMetric(
        format_only=True,
        output_dir=str(tmp_path / 'b'),
        submission_layout='ref_youtube_vos')
    metric.dataset_meta = dict(expected_frames=expected_frames())
    with pytest.raises(
            ValueError, match='1 not expected, e.g. '
            'ffffffffff/0/00000'):
        run_metric(metric, extra)


def test_zip_holds_this_run_only(tmp_path):
    # a PNG of an earlier run's submission is neither in the zip nor left
    # in the folder: the run replaces the folder
    stale = tmp_path / 'stale_video' / '0' / '00000.png'
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b'not ours')
    (tmp_path / submission.SUBMISSION_MARKER).touch()
    metric = JFMetric(
        format_only=True, output_dir=str(tmp_path), submission_layout='mevis')
    run_metric(metric, all_samples())
    with zipfile.ZipFile(tmp_path / 'submission.zip') as zf:
        assert set(zf.namelist()) == expected_names('')
    assert not stale.exists()


def test_ranks_write_to_a_shared_folder(tmp_path, monkeypatch):
    # what distributed testing does: each rank's metric writes its samples'
    # PNGs into the staging folder rank 0 named (the broadcast token, here
    # the same for both); rank 0 finalizes with the collected results
    monkeypatch.setattr(submission.secrets, 'token_hex', lambda n: 'shared')
    samples = all_samples()
    ranks = [
        JFMetric(
            format_only=True,
            output_dir=str(tmp_path),
            submission_layout='ref_youtube_vos') for _ in range(2)
    ]
    for i, sample in enumerate(samples):
        ranks[i % 2].process({}, [sample])
    collected = ranks[0].results + ranks[1].results
    counts = ranks[0].compute_metrics(collected)
    assert counts['num_frames'] == 8
    with zipfile.ZipFile(tmp_path / 'submission.zip') as zf:
        assert set(zf.namelist()) == expected_names('Annotations/')
    # a record whose PNG is not on this filesystem: a clear error
    collected.append(
        dict(
            submission=dict(
                video_id='x',
                exp_id='0',
                frame_name='00000',
                run=None,
                png='Annotations/x/0/00000.png')))
    with pytest.raises(FileNotFoundError, match='share'):
        ranks[0].compute_metrics(collected)


def test_scoring_and_writing_together(tmp_path):
    # MeViS valid_u: scores computed and the predictions kept as PNGs
    gt = np.zeros((6, 9), dtype=np.uint8)
    gt[0:3, 1:3] = 1  # equal to the frame-00000 prediction of exp '0'
    samples = [
        make_sample('003234408d', '0', '00000', (6, 9), gt=gt),
        make_sample('003234408d', '1', '00000', (6, 9), gt=np.zeros_like(gt)),
    ]
    metric = JFMetric(output_dir=str(tmp_path), submission_layout='mevis')
    metrics = run_metric(metric, samples)
    assert metrics['J&F'] == pytest.approx(100.0)
    assert metrics['num_expressions'] == 2
    assert (tmp_path / '003234408d' / '1' / '00000.png').is_file()
    assert (tmp_path / 'submission.zip').is_file()


def test_format_only_needs_no_ground_truth_but_scoring_does(tmp_path):
    sample = make_sample('v', '0', '00000', (4, 4))
    metric = JFMetric(
        format_only=True, output_dir=str(tmp_path), submission_layout='mevis')
    metric.process({}, [sample])  # no gt_sem_seg: fine
    with pytest.raises(KeyError, match='gt_sem_seg'):
        JFMetric().process({}, [sample])


def test_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match='output_dir'):
        JFMetric(format_only=True)
    with pytest.raises(ValueError, match='submission_layout'):
        JFMetric(output_dir=str(tmp_path))
    with pytest.raises(ValueError, match='submission_layout'):
        JFMetric(output_dir=str(tmp_path), submission_layout='davis')
    zip_file = tmp_path / 'elsewhere' / 'x.zip'
    metric = JFMetric(
        format_only=True,
        output_dir=str(tmp_path / 'pngs'),
        submission_layout='mevis',
        zip_file=str(zip_file))
    run_metric(metric, all_samples())
    assert zipfile.ZipFile(zip_file).testzip() is None


def test_bad_names_and_missing_metainfo(tmp_path):
    metric = JFMetric(
        format_only=True, output_dir=str(tmp_path), submission_layout='mevis')
    with pytest.raises(ValueError, match="`exp_id` '../0'"):
        metric.process({}, [make_sample('v', '../0', '00000', (4, 4))])
    sample = make_sample('v', '0', '00000', (4, 4))
    del sample.frame_name
    with pytest.raises(KeyError, match='frame_name'):
        metric.process({}, [sample])
    sample = make_sample('v', '0', '00000', (4, 4))
    del sample.ori_shape
    with pytest.raises(KeyError, match='ori_shape'):
        metric.process({}, [sample])


def test_submission_png_paths():
    assert submission_png_path('ref_youtube_vos', 'vid', 3,
                               '00005.jpg') == 'Annotations/vid/3/00005.png'
    assert submission_png_path('mevis', 'vid', '0', '00005') == \
        'vid/0/00005.png'


def test_writer_without_records_is_an_error(tmp_path):
    with pytest.raises(ValueError, match='no predictions'):
        SubmissionWriter(str(tmp_path), 'mevis').finalize([])


def load_test_tool():
    path = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'test.py')
    spec = importlib.util.spec_from_file_location('mmcsted_test_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tool_args(**kwargs):
    base = dict(
        config='cfg.py',
        launcher='none',
        work_dir='work',
        show=False,
        show_dir=None,
        out=None,
        cfg_options=None,
        format_only=False,
        out_dir=None)
    base.update(kwargs)
    return argparse.Namespace(**base)


def test_tool_format_only_sets_the_metric(tmp_path):
    tool = load_test_tool()
    cfg = Config(
        dict(
            test_evaluator=dict(
                type='JFMetric', submission_layout='ref_youtube_vos')))
    cfg = tool.merge_args(cfg,
                          tool_args(format_only=True, out_dir=str(tmp_path)))
    assert cfg.test_evaluator.format_only is True
    assert cfg.test_evaluator.output_dir == str(tmp_path)
    # the built metric is a format-only one
    from mmcsted.registry import METRICS
    from mmcsted.utils import register_all_modules
    register_all_modules()
    metric = METRICS.build(cfg.test_evaluator)
    assert metric.format_only and metric.writer.layout == 'ref_youtube_vos'

    # the cfg-options way, layout given there
    cfg = Config(dict(test_evaluator=dict(type='JFMetric')))
    cfg = tool.merge_args(
        cfg,
        tool_args(
            cfg_options={
                'test_evaluator.format_only': True,
                'test_evaluator.output_dir': str(tmp_path),
                'test_evaluator.submission_layout': 'mevis'
            }))
    assert cfg.test_evaluator.submission_layout == 'mevis'


def test_tool_format_only_errors_are_one_line(tmp_path):
    tool = load_test_tool()
    with pytest.raises(SystemExit, match='needs --out-dir'):
        tool.merge_args(
            Config(
                dict(
                    test_evaluator=dict(
                        type='JFMetric', submission_layout='mevis'))),
            tool_args(format_only=True))
    with pytest.raises(SystemExit, match='no submission_layout'):
        tool.merge_args(
            Config(dict(test_evaluator=dict(type='JFMetric'))),
            tool_args(format_only=True, out_dir=str(tmp_path)))
    with pytest.raises(SystemExit, match='test_evaluator has none'):
        tool.merge_args(
            Config(dict(test_evaluator=dict(type='ReferSegMetric'))),
            tool_args(format_only=True, out_dir=str(tmp_path)))


def _rank_main(rank, world_size, init_file, out_dir, result_file):

    dist.init_process_group(
        'gloo',
        init_method=f'file://{init_file}',
        rank=rank,
        world_size=world_size)
    try:
        samples = all_samples()
        # DefaultSampler(shuffle=False): rank r gets r, r + world, ...,
        # padded from the start to equal lengths (8 samples, 3 ranks: the
        # last rank's third sample is sample 0 again)
        total = -(-len(samples) // world_size) * world_size
        indices = (list(range(len(samples))) * 2)[:total]
        metric = JFMetric(
            format_only=True,
            output_dir=out_dir,
            submission_layout='ref_youtube_vos')
        metric.dataset_meta = dict(expected_frames=expected_frames())
        for i in indices[rank::world_size]:
            metric.process({}, [samples[i]])
        metrics = metric.evaluate(len(samples))
        with open(f'{result_file}.{rank}', 'w') as f:
            json.dump(metrics, f)
    finally:
        dist.destroy_process_group()


def test_distributed_three_ranks_one_zip(tmp_path):
    # real processes: every rank writes its PNGs, rank 0 alone zips (mmengine
    # runs compute_metrics on rank 0 and broadcasts the result); the padded
    # repeat of sample 0 is dropped by the collection, not a duplicate

    out_dir = str(tmp_path / 'sub')
    result_file = str(tmp_path / 'metrics')
    # fork: the children need not import torch and mmcsted again (seconds)
    mp.start_processes(
        _rank_main,
        args=(3, str(tmp_path / 'init'), out_dir, result_file),
        nprocs=3,
        start_method='fork')
    for rank in range(3):
        with open(f'{result_file}.{rank}') as f:
            assert json.load(f) == dict(
                num_videos=2, num_expressions=3, num_frames=8)
    with zipfile.ZipFile(tmp_path / 'sub' / 'submission.zip') as zf:
        assert set(zf.namelist()) == expected_names('Annotations/')


def test_rerun_replaces_the_folder_only_when_complete(tmp_path, monkeypatch):
    out = tmp_path / 'out'
    samples = all_samples()
    first = JFMetric(
        format_only=True,
        output_dir=str(out),
        submission_layout='ref_youtube_vos')
    for s in samples:
        first.process({}, [s])
    first.compute_metrics(first.results)
    before = {
        p.relative_to(out): p.read_bytes()
        for p in out.rglob('*') if p.is_file()
    }
    assert (out / 'submission.zip').is_file()
    # a rerun killed after writing half its PNGs: the previous folder is
    # untouched (no new PNG mixed in, its zip still matches its PNGs)
    second = JFMetric(
        format_only=True,
        output_dir=str(out),
        submission_layout='ref_youtube_vos')
    flipped = [s.clone() for s in samples[:len(samples) // 2]]
    for s in flipped:
        s.pred_sem_seg.data = ~s.pred_sem_seg.data
        second.process({}, [s])
    after = {
        p.relative_to(out): p.read_bytes()
        for p in out.rglob('*') if p.is_file()
    }
    assert after == before
    # a clean rerun: the new set replaces the old, nothing temporary stays
    monkeypatch.setattr(submission.secrets, 'token_hex', lambda n: 'third')
    third = JFMetric(
        format_only=True,
        output_dir=str(out),
        submission_layout='ref_youtube_vos')
    for s in flipped:
        third.process({}, [s])
    third.compute_metrics(third.results)
    with zipfile.ZipFile(out / 'submission.zip') as zf:
        assert len([n for n in zf.namelist()
                    if n.endswith('.png')]) == len(flipped)
    pngs = list(out.rglob('*.png'))
    assert len(pngs) == len(flipped)
    # only the killed run's staging folder stays, never used as output
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith('.tmp')
            ] == [osp.basename(second.writer.staging_dir)]


def test_submission_refuses_a_folder_of_other_files(tmp_path):
    (tmp_path / 'notes.txt').write_text('mine')
    with pytest.raises(FileExistsError, match='not an mmcsted submission'):
        SubmissionWriter(str(tmp_path), 'mevis')
    assert (tmp_path / 'notes.txt').read_text() == 'mine'


def test_expressions_without_a_word_are_filled_not_complete(
        tmp_path, monkeypatch):
    """An expression whose query has no word gets empty masks of its
    frame's size in the zip, and the log says so instead of 'complete'."""
    frame = tmp_path / 'frames' / '00000.jpg'
    frame.parent.mkdir()
    Image.fromarray(np.zeros((8, 5, 3), np.uint8)).save(frame)
    out = tmp_path / 'sub'
    metric = JFMetric(
        format_only=True,
        output_dir=str(out),
        submission_layout='ref_youtube_vos')
    expected = {vid: dict(exps) for vid, exps in expected_frames().items()}
    expected['0a7a2514aa']['9'] = ['00000', '00005']
    metric.dataset_meta = dict(
        expected_frames=expected,
        empty_query_expressions={
            '0a7a2514aa':
            dict(
                frame_file=str(frame),
                frames=['00000', '00005'],
                exp_ids=['9'])
        })
    lines = []
    monkeypatch.setattr(submission, 'print_log',
                        lambda msg, **kwargs: lines.append(msg))
    counts = run_metric(metric, all_samples())
    assert counts == dict(num_videos=2, num_expressions=4, num_frames=10)
    png = out / 'Annotations' / '0a7a2514aa' / '9' / '00005.png'
    pixels = np.asarray(Image.open(png))
    assert pixels.shape == (8, 5) and not pixels.any()
    log = '\n'.join(lines)
    assert '1 expressions whose query has no word were filled' in log
    assert 'complete' not in log
