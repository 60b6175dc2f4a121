"""The authors' CSTM test input, as options: the CSTM clip, the PIL
stretch, frames read from an OpenCV-extracted JPEG folder, the extraction
tool and the config fragments."""
import logging
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from mmcsted.datasets import A2DSentencesDataset
from mmcsted.datasets.clip_sampling import cstm_clip, sample_clip
from mmcsted.datasets.transforms import (DataLoadError, ResizeStretch,
                                         SampleClipAroundFrame, VideoDecode,
                                         VideoInit, cstm_mask_resize)
from tests.dataset_trees import A2D_H, A2D_T, A2D_W, a2d_gt_mask, make_a2d_tree
from tests.helpers import run_tool

CSTM_TEST_PIPELINE = [
    dict(type='VideoInit'),
    dict(
        type='SampleClipAroundFrame',
        clip_len=8,
        frame_interval=2,
        mode='cstm'),
    dict(type='VideoDecode', image_backend='pillow'),
    dict(type='ResizeStretch', size=40, backend='pillow'),
    dict(type='LoadActorMask'),
    dict(type='PackActorSegInputs'),
]


# ------------------------------------------------------------------ clip
def cstm_reference(f, n):
    """CSTM's loader, written out: range(start, start + 16, 2) from
    start = max(1, f - 8); frames past n clamped (our decision)."""
    start = max(1, f - 8)
    return [min(i, n) for i in range(start, start + 16, 2)]


@pytest.mark.parametrize('f,frames,spatial', [
    (1, [1, 3, 5, 7, 9, 11, 13, 15], 9),
    (5, [1, 3, 5, 7, 9, 11, 13, 15], 9),
    (8, [1, 3, 5, 7, 9, 11, 13, 15], 9),
    (9, [1, 3, 5, 7, 9, 11, 13, 15], 9),
    (10, [2, 4, 6, 8, 10, 12, 14, 16], 10),
    (20, [12, 14, 16, 18, 20, 22, 24, 26], 20),
])
def test_cstm_clip_indices(f, frames, spatial):
    got, index, clamped = cstm_clip(f, 100, 8, 2)
    assert got == frames == cstm_reference(f, 100)
    assert index == 4 and got[index] == spatial and not clamped
    assert sample_clip(f, 100, 8, 2, mode='cstm') == (got, 4, False)


@pytest.mark.parametrize(
    'f,n,frames',
    [
        (20, 26, [12, 14, 16, 18, 20, 22, 24, 26]),  # exactly reaches the end
        (20, 25, [12, 14, 16, 18, 20, 22, 24, 25]),
        (30, 30, [22, 24, 26, 28, 30, 30, 30, 30]),
        (5, 12, [1, 3, 5, 7, 9, 11, 12, 12]),
        (3, 6, [1, 3, 5, 6, 6, 6, 6, 6]),  # spatial frame 9 > 6: clamped too
    ])
def test_cstm_clip_near_the_end_clamps(f, n, frames):
    got, index, clamped = cstm_clip(f, n, 8, 2)
    assert got == frames == cstm_reference(f, n)
    assert index == 4
    assert clamped == (max(range(max(1, f - 8), max(1, f - 8) + 16, 2)) > n)


def test_cstm_clip_errors_and_default_mode_unchanged():
    with pytest.raises(ValueError, match='outside'):
        cstm_clip(0, 10)
    with pytest.raises(ValueError, match='outside'):
        cstm_clip(11, 10)
    with pytest.raises(ValueError, match='clip mode'):
        sample_clip(3, 10, mode='shifted')
    with pytest.raises(ValueError, match='mode'):
        SampleClipAroundFrame(mode='nope')
    # the default stays the centred, clamped clip
    out = SampleClipAroundFrame(8,
                                2).transform(dict(frame_id=3, num_frames=100))
    assert out['frame_inds'] == [1, 1, 1, 1, 3, 5, 7, 9]
    assert out['clip_mode'] == 'centred' and out['target_index'] == 4


def test_cstm_clip_transform_counts_and_logs_clamps(monkeypatch):
    import mmcsted.datasets.transforms.loading as mod
    logs = []
    monkeypatch.setattr(
        mod,
        'print_log',
        lambda msg, logger=None, level=None: logs.append((level, msg)))
    t = SampleClipAroundFrame(8, 2, mode='cstm')
    out = t.transform(dict(frame_id=5, num_frames=100, video_id='v'))
    assert out['frame_inds'] == [1, 3, 5, 7, 9, 11, 13, 15]
    assert out['target_index'] == 4 and not out['clamped']
    assert t.num_clamped == 0 and logs == []
    out = t.transform(
        dict(frame_id=12, num_frames=12, frame_dir='/x/vid', video_id='v'))
    assert out['frame_inds'] == [4, 6, 8, 10, 12, 12, 12, 12]
    assert out['clamped'] and t.num_clamped == 1
    assert len(logs) == 1 and logs[0][0] == logging.WARNING
    assert '/x/vid' in logs[0][1] and 'frame 12' in logs[0][1]
    assert 'cstm' in repr(t)


# ---------------------------------------------------------------- resize
def _photo(h=48, w=64, seed=0):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    img[h // 4:h // 2, w // 4:w // 2] = (250, 20, 20)
    return img


@pytest.mark.parametrize('hw,size', [((48, 64), 32), ((20, 30), 40),
                                     ((37, 53), (24, 28))])
def test_pil_stretch_is_image_resize_and_not_cv2(hw, size):
    img = _photo(*hw)
    t = ResizeStretch(size=size, backend='pillow')
    out = t.transform(dict(imgs=[img, img[::-1].copy()]))
    h, w = (size, size) if isinstance(size, int) else size
    ref = np.asarray(Image.fromarray(img).resize((w, h), Image.BILINEAR))
    assert out['imgs'][0].dtype == np.uint8
    np.testing.assert_array_equal(out['imgs'][0], ref)
    np.testing.assert_array_equal(
        out['imgs'][1],
        np.asarray(
            Image.fromarray(img[::-1].copy()).resize((w, h), Image.BILINEAR)))
    assert out['img_shape'] == out['pad_shape'] == (h, w)
    assert out['ori_shape'] == hw
    assert out['scale_factor'] == (w / hw[1], h / hw[0])
    # a swap for OpenCV's bilinear would be noticed
    cv = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
    assert not np.array_equal(cv, ref)
    cv_out = ResizeStretch(
        size=size, backend='cv2').transform(dict(imgs=[img]))
    np.testing.assert_array_equal(cv_out['imgs'][0], cv)


def test_pil_stretch_equals_torchvision_resize():
    tv = pytest.importorskip('torchvision.transforms')
    img = _photo(45, 70, seed=3)
    ref = np.asarray(tv.Resize((32, 32))(Image.fromarray(img)))
    out = ResizeStretch(32).transform(dict(imgs=[img]))['imgs'][0]
    np.testing.assert_array_equal(out, ref)
    # and ToTensor's [0, 1] values are uint8 / 255 exactly
    import torch
    t = tv.ToTensor()(Image.fromarray(ref))
    ours = torch.from_numpy(ref.copy()).permute(2, 0, 1).float()
    assert torch.equal((ours - 0.) / 255., t)


def test_cstm_mask_resize_for_training_targets():
    import torch
    import torch.nn.functional as F
    mask = np.zeros((30, 50), np.uint8)
    mask[3:9, 10:31] = 1
    mask[20, 40] = 1
    ref = F.interpolate(
        torch.from_numpy(mask).float()[None, None],
        size=(16, 16),
        mode='bilinear',
        align_corners=True)[0, 0]
    ref[ref > 0] = 1
    got = cstm_mask_resize(mask, (16, 16))
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, ref.numpy().astype(np.uint8))
    img = _photo(30, 50)
    out = ResizeStretch(16).transform(dict(imgs=[img], gt_sem_seg=mask))
    np.testing.assert_array_equal(out['gt_sem_seg'], got)
    near = ResizeStretch(
        16,
        mask_resize='nearest').transform(dict(imgs=[img],
                                              gt_sem_seg=mask))['gt_sem_seg']
    assert near.shape == (16, 16)
    with pytest.raises(ValueError, match='backend'):
        ResizeStretch(backend='skimage')
    with pytest.raises(ValueError, match='interpolation'):
        ResizeStretch(interpolation='area')  # pillow: no 'area'


# ----------------------------------------------------- frames folder (A2D)
@pytest.fixture
def cv2_tree(tmp_path):
    """The hand-made tree (mp4s) plus frames_cv2 from the extraction tool."""
    root = str(tmp_path / 'a2d')
    expected = make_a2d_tree(root)
    rc, out = run_tool(
        'a2d_sentences/extract_frames.py', root, '--no-progress', capture=True)
    assert rc == 0, out
    return root, expected, out


def test_extract_frames_tool_writes_the_release_layout(cv2_tree):
    root, _, out = cv2_tree
    frame_root = osp.join(root, 'Release', 'frames_cv2')
    # videos with sentences, the missed one left out
    assert sorted(os.listdir(frame_root)) == [
        'vidTest_001', 'vidTrain_01', 'vidTrain_02'
    ]
    assert '0 videos already extracted, 3 to do' in out
    cap = cv2.VideoCapture(
        osp.join(root, 'Release', 'clips320H', 'vidTest_001.mp4'))
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(bgr)
    cap.release()
    names = sorted(os.listdir(osp.join(frame_root, 'vidTest_001')))
    assert names == [f'{i:05d}.jpg' for i in range(1, len(frames) + 1)]
    assert len(frames) == A2D_T
    # cv2.imwrite with OpenCV's defaults (quality 95), nothing else
    for i in (0, 5, A2D_T - 1):
        ok, enc = cv2.imencode('.jpg', frames[i])
        with open(osp.join(frame_root, 'vidTest_001', names[i]), 'rb') as f:
            assert f.read() == enc.tobytes()
    # resumable
    rc, out = run_tool(
        'a2d_sentences/extract_frames.py', root, '--no-progress', capture=True)
    assert rc == 0 and '3 videos already extracted, 0 to do' in out


def test_extract_frames_tool_split_and_failures(tmp_path):
    root = str(tmp_path / 'a2d')
    make_a2d_tree(root)
    rc, out = run_tool(
        'a2d_sentences/extract_frames.py',
        root,
        '--split',
        'test',
        '--out',
        str(tmp_path / 'fr'),
        '--no-progress',
        capture=True)
    assert rc == 0 and os.listdir(tmp_path / 'fr') == ['vidTest_001']
    os.remove(osp.join(root, 'Release', 'clips320H', 'vidTrain_02.mp4'))
    rc, out = run_tool(
        'a2d_sentences/extract_frames.py', root, '--no-progress', capture=True)
    assert rc == 1 and 'vidTrain_02' in out and 'not found' in out
    assert osp.isdir(osp.join(root, 'Release', 'frames_cv2', 'vidTrain_01'))


def _pil_frame(path, size):
    img = Image.open(path).convert('RGB').resize((size, size), Image.BILINEAR)
    return np.asarray(img)


def test_frame_root_dataset_gives_the_release_clip(cv2_tree):
    root, expected, _ = cv2_tree
    ds = A2DSentencesDataset(
        root,
        split='test',
        test_mode=True,
        video_source='frames',
        frame_root='Release/frames_cv2',
        pipeline=CSTM_TEST_PIPELINE,
        progress=False)
    assert len(ds) == len(expected['test'])
    fdir = osp.join(root, 'Release', 'frames_cv2', 'vidTest_001')
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        assert info['frame_dir'] == fdir and info['video_path'] is None
        out = ds[i]
        f = info['frame_id']
        inds = cstm_reference(f, A2D_T)
        meta = out['data_samples'].metainfo
        assert meta['frame_inds'] == inds and meta['target_index'] == 4
        clip = out['inputs'].numpy()  # C, T, H, W uint8
        assert clip.dtype == np.uint8 and clip.shape == (3, 8, 40, 40)
        for t, frame in enumerate(inds):
            ref = _pil_frame(osp.join(fdir, f'{frame:05d}.jpg'), 40)
            np.testing.assert_array_equal(clip[:, t].transpose(1, 2, 0), ref)
        # the mask stays at the frame size
        assert tuple(out['data_samples'].gt_sem_seg.data.shape) == (1, A2D_H,
                                                                    A2D_W)
        assert meta['ori_shape'] == (A2D_H, A2D_W)
        assert meta['img_shape'] == (40, 40)


def test_frame_root_absolute_and_missing_folder(cv2_tree, tmp_path):
    root, expected, _ = cv2_tree
    absolute = osp.join(root, 'Release', 'frames_cv2')
    ds = A2DSentencesDataset(
        root,
        split='train',
        video_source='frames',
        frame_root=absolute,
        progress=False)
    assert ds.get_data_info(0)['frame_dir'].startswith(absolute)
    with pytest.raises(FileNotFoundError, match='elsewhere'):
        A2DSentencesDataset(
            root,
            split='train',
            video_source='frames',
            frame_root='elsewhere',
            progress=False)
    # 'auto' falls back to the mp4 where the frame folder is absent
    ds = A2DSentencesDataset(
        root,
        split='train',
        video_source='auto',
        frame_root='elsewhere',
        progress=False)
    assert ds.get_data_info(0)['video_path'].endswith('.mp4')


def test_missing_or_corrupt_jpeg(cv2_tree, monkeypatch):
    root, _, _ = cv2_tree
    fdir = osp.join(root, 'Release', 'frames_cv2', 'vidTest_001')
    kw = dict(
        split='test',
        video_source='frames',
        frame_root='Release/frames_cv2',
        progress=False)
    # a truncated JPEG: PIL refuses it, naming the file
    path = osp.join(fdir, '00005.jpg')
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])
    ds = A2DSentencesDataset(
        root, test_mode=True, pipeline=CSTM_TEST_PIPELINE, **kw)
    idx = [
        i for i in range(len(ds)) if ds.get_data_info(i)['frame_id'] in (1, 6)
    ][0]
    with pytest.raises(DataLoadError, match='00005.jpg'):
        ds[idx]
    # in training: a counted, logged skip (another sample is fetched)
    import mmcsted.datasets.transforms.loading as mod
    logs = []
    monkeypatch.setattr(
        mod,
        'print_log',
        lambda msg, logger=None, level=None: logs.append(msg))
    decode = VideoDecode(image_backend='pillow')
    results = dict(
        frame_dir=fdir,
        frame_inds=[3, 5],
        frame_id=3,
        filename_tmpl='{:05d}.jpg',
        test_mode=False)
    assert decode.transform(results) is None
    assert decode.num_skipped == 1 and '00005.jpg' in logs[-1]
    # a hole in the numbering is an error, not the end of the video
    os.remove(path)
    init = VideoInit(on_error='raise')
    with pytest.raises(DataLoadError, match='00005.jpg is missing'):
        init.transform(dict(frame_dir=fdir, frame_id=1))
    with pytest.raises(ValueError, match='image_backend'):
        VideoDecode(image_backend='skimage')


# -------------------------------------------------------- config fragments
@pytest.mark.parametrize('name',
                         ['a2d_sentences_cstm', 'jhmdb_sentences_cstm'])
def test_cstm_config_fragments(name):
    cfg = Config.fromfile(f'configs/_base_/datasets/{name}.py')
    pipeline = cfg.test_dataloader.dataset.pipeline
    types = [t['type'] for t in pipeline]
    assert types == [
        'VideoInit', 'SampleClipAroundFrame', 'VideoDecode', 'ResizeStretch',
        'LoadActorMask', 'PackActorSegInputs'
    ]
    assert pipeline[1]['mode'] == 'cstm'
    assert (pipeline[1]['clip_len'], pipeline[1]['frame_interval']) == (8, 2)
    assert pipeline[2]['image_backend'] == 'pillow'
    assert pipeline[3]['backend'] == 'pillow' and pipeline[3]['size'] == 320
    metrics = cfg.test_evaluator
    assert metrics[0] == dict(type='ReferSegMetric', protocol='cstm')
    assert metrics[1]['prefix'] == 'mmcsted'
    from mmcsted.registry import METRICS, TRANSFORMS
    for t in pipeline:
        TRANSFORMS.build(t)
    for m in metrics:
        METRICS.build(m)
    if name.startswith('a2d'):
        ds = cfg.test_dataloader.dataset
        assert ds.video_source == 'frames'
        assert ds.frame_root == 'Release/frames_cv2'


def test_cstm_chain_end_to_end(cv2_tree):
    """Release dataset fragment -> a model with mean 0 / std 255 and
    keep_input_seg_logits -> the fragment's two metrics."""
    import torch
    from mmengine.dataset import pseudo_collate
    from mmengine.evaluator import Evaluator

    from mmcsted.registry import MODELS
    from tests.test_models.utils import tiny_model_cfg
    root, expected, _ = cv2_tree
    frag = Config.fromfile('configs/_base_/datasets/a2d_sentences_cstm.py')
    pipeline = [dict(t) for t in frag.test_dataloader.dataset.pipeline]
    pipeline[3]['size'] = 64
    kw = dict(frag.test_dataloader.dataset)
    kw.pop('type')
    kw.update(data_root=root, pipeline=pipeline, progress=False)
    ds = A2DSentencesDataset(**kw)
    cfg = tiny_model_cfg()
    cfg.data_preprocessor = dict(
        type='CSTEDDataPreprocessor', mean=[0.] * 3, std=[255.] * 3)
    cfg.test_cfg = dict(keep_input_seg_logits=True)
    torch.manual_seed(0)
    model = MODELS.build(cfg).eval()
    batch = pseudo_collate([ds[i] for i in range(len(ds))])
    pre = model.data_preprocessor(batch)
    # CSTM's ToTensor values: uint8 / 255
    torch.testing.assert_close(
        pre['inputs']['clip'][0],
        batch['inputs'][0].float() / 255.,
        rtol=0,
        atol=0)
    torch.testing.assert_close(
        pre['inputs']['frame'][0],
        batch['inputs'][0][:, 4].float() / 255.,
        rtol=0,
        atol=0)
    with torch.no_grad():
        outs = model.test_step(batch)
    assert tuple(outs[0].input_seg_logits.shape) == (64, 64)
    assert tuple(outs[0].seg_logits.shape) == (A2D_H, A2D_W)
    ev = Evaluator([dict(m) for m in frag.test_evaluator])
    ev.dataset_meta = ds.metainfo
    ev.process([o.to_dict() for o in outs], batch)
    res = ev.evaluate(len(ds))
    assert res['num_samples'] == res['mmcsted/num_samples'] == len(
        expected['test'])
    assert 0 <= res['oIoU'] <= 100 and 0 <= res['mmcsted/oIoU'] <= 100


# ------------------------------------------- CSTM's own sample list
# rows as in datasets/A2D/preprocessed/test.txt of RyanHTR/CSTM:
# <vid>/<frame:05d>,<H>,<W>,<instance_id>,<query>,<class>
_LIST_ROWS = [
    'vidTest_001/00006,320,480,2,"the dog, brown, running right",54',
    'vidTest_001/00001,320,480,0,adult walking,11',
    'vidTrain_01/00003,320,480,1,"a dog, brown and white, rolling",56',
    'vidTest_001/00001,320,480,0,adult walking,11',  # exact duplicate
    '',  # blank lines are skipped, as pandas does
    'vidTest_001/00012,320,480,2,"the ""big"" dog",54',
    'vidTrain_01/00009,320,480,0,the man on the left is climbing,11',
    'vidTest_001/00001,320,480,0,adult walking,11',
    'vidTrain_02/00007,320,480,1,  red car jumping ,38',
    # the final partial batch of 8: never scored, so never resolved
    'vidTest_001/00006,320,480,2,the dog,54',
    'vidTrain_01/00006,320,480,1,absent instance,56',
]


def _write_list(path, rows):
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(rows) + '\n')


def test_cstm_sample_list(tmp_path):
    root = str(tmp_path / 'a2d')
    make_a2d_tree(root)
    _write_list(osp.join(root, 'test.txt'), _LIST_ROWS)
    ds = A2DSentencesDataset(
        root,
        split='test',
        test_mode=True,
        sample_list='test.txt',
        sample_list_drop_last=8,
        pipeline=CSTM_TEST_PIPELINE,
        progress=False)
    got = [(d['video_id'], d['frame_id'], d['instance_id'], d['query'])
           for d in (ds.get_data_info(i) for i in range(len(ds)))]
    assert got == [
        ('vidTest_001', 6, 2, 'the dog, brown, running right'),
        ('vidTest_001', 1, 0, 'adult walking'),
        ('vidTrain_01', 3, 1, 'a dog, brown and white, rolling'),
        ('vidTest_001', 1, 0, 'adult walking'),
        ('vidTest_001', 12, 2, 'the "big" dog'),
        ('vidTrain_01', 9, 0, 'the man on the left is climbing'),
        ('vidTest_001', 1, 0, 'adult walking'),
        ('vidTrain_02', 7, 1, '  red car jumping '),
    ]
    info = ds.get_data_info(0)
    assert info['mask_file'].endswith(osp.join('vidTest_001', '00006.h5'))
    assert info['video_path'].endswith('vidTest_001.mp4')
    out = ds[2]
    np.testing.assert_array_equal(
        out['data_samples'].gt_sem_seg.data[0].numpy(),
        a2d_gt_mask('vidTrain_01', 1, 3))
    # an absolute path; without drop_last every row, so the absent instance
    # of the last row is an error naming that row
    with pytest.raises(
            ValueError, match=r'row 11 \(vidTrain_01/00006, '
            r'instance 1'):
        A2DSentencesDataset(
            root,
            split='test',
            test_mode=True,
            sample_list=osp.join(root, 'test.txt'),
            progress=False)
    with pytest.raises(ValueError, match='sample_list_drop_last'):
        A2DSentencesDataset(root, sample_list_drop_last=8, progress=False)


def test_cstm_sample_list_errors_name_the_row(tmp_path):
    root = str(tmp_path / 'a2d')
    make_a2d_tree(root)
    path = osp.join(root, 'bad.txt')
    kw = dict(
        split='test', test_mode=True, sample_list='bad.txt', progress=False)
    # an instance absent from its frame
    _write_list(path, _LIST_ROWS[:2] + ['vidTest_001/00006,1,1,1,x,11'])
    with pytest.raises(
            ValueError,
            match=r'row 3 \(vidTest_001/00006, '
            'instance 1.*not in the mask file'):
        A2DSentencesDataset(root, **kw)
    # a video not in videoset.csv, a frame with no mask file
    _write_list(path,
                ['vidNope/00001,1,1,0,x,11', 'vidTest_001/00002,1,1,0,y,11'])
    with pytest.raises(ValueError) as e:
        A2DSentencesDataset(root, **kw)
    assert 'row 1 (vidNope/00001' in str(e.value)
    assert 'row 2 (vidTest_001/00002' in str(e.value)
    # a missing video file
    os.remove(osp.join(root, 'Release', 'clips320H', 'vidTest_001.mp4'))
    _write_list(path, _LIST_ROWS[:1])
    with pytest.raises(ValueError, match=r'row 1 .*not found'):
        A2DSentencesDataset(root, **kw)
    # a malformed row
    _write_list(path, ['vidTest_001/00006,1,1,0,x'])
    with pytest.raises(ValueError, match='row 1'):
        A2DSentencesDataset(root, **kw)


def test_extract_frames_without_data_is_one_line(tmp_path, capsys):
    # it ended in a FileNotFoundError traceback
    assert run_tool('a2d_sentences/extract_frames.py', str(tmp_path),
                    '--no-progress') == 1
    err = capsys.readouterr().err
    assert err.startswith('error: A2D video list not found: ')
