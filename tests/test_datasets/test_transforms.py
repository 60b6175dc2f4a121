import numpy as np
import pytest
import torch

from mmcsted.datasets import clip_around_frame
from mmcsted.datasets.transforms import (ClipColorJitter, PackActorSegInputs,
                                         RandomFlipWithQuery, ResizePadSquare,
                                         SampleClipAroundFrame, swap_words)
from mmcsted.registry import TRANSFORMS
from mmcsted.structures import ActorSegDataSample


def test_clip_around_frame_middle_and_stride():
    frames, idx, clamped = clip_around_frame(20, 40, 8, 2)
    # CSTM's test clip: f-8, f-6, ..., f+6
    assert frames == [12, 14, 16, 18, 20, 22, 24, 26]
    assert idx == 4 and frames[idx] == 20 and not clamped
    frames, idx, clamped = clip_around_frame(5, 10, 5, 1)
    assert frames == [3, 4, 5, 6, 7] and idx == 2 and not clamped


def test_clip_around_frame_clamps_at_both_ends():
    frames, idx, clamped = clip_around_frame(2, 10, 8, 2)
    assert frames == [1, 1, 1, 1, 2, 4, 6, 8] and idx == 4 and clamped
    frames, _, clamped = clip_around_frame(9, 10, 8, 1)
    assert frames == [5, 6, 7, 8, 9, 10, 10, 10] and clamped
    frames, _, clamped = clip_around_frame(1, 1, 4, 3)
    assert frames == [1, 1, 1, 1] and clamped
    with pytest.raises(ValueError, match='outside'):
        clip_around_frame(11, 10)


def test_sample_clip_transform_keys():
    t = TRANSFORMS.build(
        dict(type='SampleClipAroundFrame', clip_len=8, frame_interval=2))
    assert isinstance(t, SampleClipAroundFrame)
    out = t(dict(frame_id=3, num_frames=30, total_frames=99))
    assert out['frame_inds'] == [1, 1, 1, 1, 3, 5, 7, 9]
    assert out['target_index'] == 4 and out['clamped'] is True
    out = t(dict(frame_id=15, total_frames=30))  # falls back to total_frames
    assert out['frame_inds'][4] == 15 and out['clamped'] is False


def _clip(h, w, t=3):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (h, w, 3), dtype=np.uint8) for _ in range(t)]


@pytest.mark.parametrize('h,w,size,img_shape', [
    (64, 80, 64, (51, 64)),
    (80, 64, 64, (64, 51)),
    (240, 320, 320, (240, 320)),
    (320, 568, 320, (180, 320)),
    (32, 32, 64, (64, 64)),
])
def test_resize_pad_square_geometry(h, w, size, img_shape):
    mask = np.zeros((h, w), np.uint8)
    mask[:h // 2, :w // 4] = 1
    res = ResizePadSquare(size=size)(
        dict(imgs=_clip(h, w), gt_sem_seg=mask.copy()))
    assert res['img_shape'] == img_shape
    assert res['pad_shape'] == (size, size)
    assert res['ori_shape'] == (h, w)
    nh, nw = img_shape
    assert res['scale_factor'] == pytest.approx((nw / w, nh / h))
    for img in res['imgs']:
        assert img.shape == (size, size, 3) and img.dtype == np.uint8
        assert not img[nh:].any() and not img[:, nw:].any()
    m = res['gt_sem_seg']
    assert m.shape == (size, size) and set(np.unique(m)) <= {0, 1}
    assert not m[nh:].any() and not m[:, nw:].any()
    # nearest resize keeps the box where it was, scaled
    ys, xs = np.nonzero(m)
    assert ys.max() + 1 == pytest.approx(nh / 2, abs=1)
    assert xs.max() + 1 == pytest.approx(nw / 4, abs=1)


def test_resize_pad_square_pads_every_channel():
    img = np.full((4, 8, 3), 200, np.uint8)
    out = ResizePadSquare(size=8, pad_val=7)(dict(imgs=[img]))['imgs'][0]
    assert (out[:4] == 200).all() and (out[4:] == 7).all()
    assert repr(ResizePadSquare(size=8)) == (
        "ResizePadSquare(size=8, interpolation='bilinear', pad_val=0)")


def test_resize_keeps_original_size_mask_loaded_later():
    res = ResizePadSquare(size=32)(dict(imgs=_clip(24, 48)))
    assert 'gt_sem_seg' not in res and res['ori_shape'] == (24, 48)


@pytest.mark.parametrize('text,flipped', [
    ('the man on the left', 'the man on the right'),
    ('Left dog runs right', 'Right dog runs left'),
    ('the LEFTMOST car and the rightmost one',
     'the RIGHTMOST car and the leftmost one'),
    ('a top-left ball, left-hand side', 'a top-right ball, right-hand side'),
    ('turning clockwise', 'turning counterclockwise'),
    ('spinning counter-clockwise', 'spinning clockwise'),
    ('bright lefty cleft', 'bright lefty cleft'),
    ('moving to the left.', 'moving to the right.'),
])
def test_swap_words(text, flipped):
    assert swap_words(text, RandomFlipWithQuery().swap_words) == flipped


def test_flip_swaps_query_and_flips_valid_region():
    h, w = 4, 6
    img = np.arange(h * w * 3, dtype=np.uint8).reshape(h, w, 3)
    mask = np.zeros((h, w), np.uint8)
    mask[:, :2] = 1
    res = ResizePadSquare(size=12)(
        dict(
            imgs=[img, img + 1], gt_sem_seg=mask, query='the dog on the left'))
    # img_shape (8, 12): only 8 rows are valid, padding at the bottom
    padded = res['imgs'][0].copy()
    pmask = res['gt_sem_seg'].copy()
    out = RandomFlipWithQuery(prob=1.0)(res)
    assert out['flip'] is True and out['query'] == 'the dog on the right'
    nh, nw = out['img_shape']
    np.testing.assert_array_equal(out['imgs'][0][:nh, :nw],
                                  padded[:nh, :nw][:, ::-1])
    assert not out['imgs'][0][nh:].any()  # padding stays at the bottom
    np.testing.assert_array_equal(out['gt_sem_seg'][:nh, :nw],
                                  pmask[:nh, :nw][:, ::-1])
    assert out['gt_sem_seg'][:nh,
                             -1].all() and not out['gt_sem_seg'][:nh, 0].any()
    out = RandomFlipWithQuery(prob=0.0)(dict(imgs=[img], query='left'))
    assert out['flip'] is False and out['query'] == 'left'


def test_flip_without_padding():
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    mask = np.array([[1, 0, 0], [1, 1, 0]], np.uint8)
    out = RandomFlipWithQuery(prob=1.0)(
        dict(imgs=[img], gt_sem_seg=mask, query='x'))
    np.testing.assert_array_equal(out['imgs'][0], img[:, ::-1])
    np.testing.assert_array_equal(out['gt_sem_seg'], mask[:, ::-1])


def test_color_jitter_same_for_every_frame():
    np.random.seed(0)
    frame = _clip(16, 20, 1)[0]
    imgs = [frame.copy() for _ in range(4)]
    res = dict(
        imgs=[np.pad(i, ((0, 4), (0, 0), (0, 0))) for i in imgs],
        img_shape=(16, 20))
    out = ClipColorJitter(
        brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)(
            res)
    first = out['imgs'][0]
    assert not np.array_equal(first[:16], frame)  # it did something
    for img in out['imgs'][1:]:
        np.testing.assert_array_equal(img, first)
    assert not first[16:].any()  # padding untouched
    assert first.dtype == np.uint8


def test_pack_contract():
    t, h, w = 3, 8, 10
    imgs = [np.full((h, w, 3), i, np.uint8) for i in range(t)]
    imgs[0][..., 1] = 100
    mask = np.zeros((h, w), np.uint8)
    mask[2:4, 3:5] = 1
    results = dict(
        imgs=imgs,
        gt_sem_seg=mask,
        query='the dog on the left',
        video_id='v',
        frame_id=5,
        target_index=1,
        frame_inds=[4, 5, 6],
        clamped=False,
        ori_shape=(h, w),
        img_shape=(h, w),
        actor_class=7,
        action_class=1,
        instance_id=2,
        sample_idx=11,
        video_reader=object(),
        mask_file='x')
    out = PackActorSegInputs()(results)
    assert set(out) == {'inputs', 'data_samples'}
    x = out['inputs']
    assert x.dtype == torch.uint8 and x.shape == (3, t, h, w)  # C, T, H, W
    assert int(x[1, 0, 0, 0]) == 100 and int(x[0, 2, 0, 0]) == 2
    ds = out['data_samples']
    assert isinstance(ds, ActorSegDataSample)
    assert ds.gt_sem_seg.data.dtype == torch.uint8
    assert ds.gt_sem_seg.data.shape == (1, h, w)
    assert ds.gt_sem_seg.data.sum() == 4
    meta = ds.metainfo
    assert meta['query'] == 'the dog on the left'
    assert meta['flip'] is False
    assert meta['pad_shape'] == (h, w) and meta['scale_factor'] == (1.0, 1.0)
    for k in ('video_id', 'frame_id', 'target_index', 'frame_inds', 'clamped',
              'ori_shape', 'img_shape', 'actor_class', 'action_class',
              'instance_id', 'sample_idx'):
        assert meta[k] == results[k]
    assert 'video_reader' not in meta and 'mask_file' not in meta
    # without a mask: no gt_sem_seg field
    del results['gt_sem_seg']
    out = PackActorSegInputs()(results)
    assert 'gt_sem_seg' not in out['data_samples']
    with pytest.raises(KeyError, match='query'):
        PackActorSegInputs()(
            dict(
                imgs=imgs,
                ori_shape=(h, w),
                img_shape=(h, w),
                video_id='v',
                frame_id=1))
