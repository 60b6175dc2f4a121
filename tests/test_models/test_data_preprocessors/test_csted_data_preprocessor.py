"""CSTEDDataPreprocessor: normalisation, padding, stacking, the frame
taken out of each clip and the masks padded with it."""
import pytest
import torch
from mmengine.structures import PixelData

from mmcsted.models.data_preprocessors import CSTEDDataPreprocessor
from mmcsted.structures import ActorSegDataSample


def _clip(t=4, h=5, w=6, fill=None):
    """(3, T, H, W) uint8 whose frame k holds the value 10 * k (or
    ``fill``), so that a picked frame is recognisable."""
    values = torch.arange(t, dtype=torch.uint8) * 10 if fill is None else \
        torch.full((t, ), fill, dtype=torch.uint8)
    return values.view(1, t, 1, 1).expand(3, t, h, w).clone()


def _sample(target_index=None, mask_hw=None):
    ds = ActorSegDataSample()
    if target_index is not None:
        ds.set_metainfo(dict(target_index=target_index))
    if mask_hw is not None:
        ds.gt_sem_seg = PixelData(
            data=torch.ones(1, *mask_hw, dtype=torch.uint8))
    return ds


def test_normalises_with_mean_and_std_and_pads_to_the_divisor():
    pre = CSTEDDataPreprocessor(
        mean=(10, 20, 30), std=(2, 4, 5), size_divisor=8, pad_value=-7.)
    out = pre(dict(inputs=[_clip(fill=50)]))
    clip = out['inputs']['clip']
    assert clip.shape == (1, 3, 4, 8, 8)  # 5 x 6 padded up to 8 x 8
    inside = clip[0, :, :, :5, :6]
    assert torch.allclose(inside[0], torch.full_like(inside[0], 20.))
    assert torch.allclose(inside[1], torch.full_like(inside[1], 7.5))
    assert torch.allclose(inside[2], torch.full_like(inside[2], 4.))
    # bottom/right padding holds pad_value, after normalisation
    assert (clip[0, :, :, 5:, :] == -7.).all()
    assert (clip[0, :, :, :, 6:] == -7.).all()


def test_stacks_clips_of_different_sizes_to_the_batch_maximum():
    pre = CSTEDDataPreprocessor(
        mean=(0, 0, 0), std=(255, 255, 255), size_divisor=4)
    out = pre(dict(inputs=[_clip(h=5, w=6), _clip(h=7, w=3)]))
    assert out['inputs']['clip'].shape == (2, 3, 4, 8, 8)
    assert out['inputs']['frame'].shape == (2, 3, 8, 8)
    assert out['inputs']['clip'].max() <= 1.0  # mean 0, std 255: [0, 1]


def test_clips_of_one_shape_batched_at_once_equal_clip_by_clip():
    pre = CSTEDDataPreprocessor(size_divisor=8, pad_value=-3.)
    g = torch.Generator().manual_seed(0)
    clips = [
        torch.randint(0, 256, (3, 4, 5, 6), generator=g, dtype=torch.uint8)
        for _ in range(3)
    ]
    together = pre(dict(inputs=clips))['inputs']['clip']
    # a clip of another shape sends the batch down the clip-by-clip path
    odd = torch.zeros(3, 4, 2, 2, dtype=torch.uint8)
    one_by_one = pre(dict(inputs=clips + [odd]))['inputs']['clip'][:3]
    assert torch.equal(together, one_by_one)


def test_a_fixed_size_pads_to_it_and_refuses_a_larger_clip():
    pre = CSTEDDataPreprocessor(size=(6, 10))
    assert pre(dict(inputs=[_clip()]))['inputs']['clip'].shape[-2:] == \
        (6, 10)
    with pytest.raises(ValueError, match='larger than the pad size'):
        pre(dict(inputs=[_clip(h=7)]))


def test_frame_is_the_target_index_of_each_sample_or_the_middle():
    pre = CSTEDDataPreprocessor(mean=(0, 0, 0), std=(1, 1, 1))
    samples = [_sample(target_index=1), _sample(target_index=3), _sample()]
    out = pre(dict(inputs=[_clip()] * 3, data_samples=samples))
    frame = out['inputs']['frame']
    # frame k of _clip holds 10 * k; no target_index: T // 2 = 2
    assert frame[:, 0, 0, 0].tolist() == [10., 30., 20.]
    assert torch.equal(frame[0], out['inputs']['clip'][0, :, 1])
    # without data samples every frame is the middle one
    out = pre(dict(inputs=[_clip()]))
    assert out['inputs']['frame'][0, 0, 0, 0].item() == 20.


def test_frame_index_overrides_the_target_index():
    pre = CSTEDDataPreprocessor(mean=(0, 0, 0), std=(1, 1, 1), frame_index=0)
    samples = [_sample(target_index=3), _sample(target_index=2)]
    out = pre(dict(inputs=[_clip()] * 2, data_samples=samples))
    assert out['inputs']['frame'][:, 0, 0, 0].tolist() == [0., 0.]
    with pytest.raises(ValueError, match='outside a clip of 4 frames'):
        CSTEDDataPreprocessor(frame_index=4)(dict(inputs=[_clip()]))


def test_training_masks_are_padded_with_the_input_test_masks_are_not():
    pre = CSTEDDataPreprocessor(size_divisor=8)
    samples = [_sample(mask_hw=(5, 6))]
    out = pre(dict(inputs=[_clip()], data_samples=samples), training=True)
    ds = out['data_samples'][0]
    assert ds.batch_input_shape == (8, 8)
    mask = ds.gt_sem_seg.data
    assert mask.shape == (1, 8, 8)
    assert mask[0, :5, :6].all() and mask.sum() == 30  # padding is 0
    samples = [_sample(mask_hw=(5, 6))]
    out = pre(dict(inputs=[_clip()], data_samples=samples), training=False)
    assert out['data_samples'][0].gt_sem_seg.data.shape == (1, 5, 6)


def test_a_single_unbatched_clip_and_mismatched_samples():
    pre = CSTEDDataPreprocessor()
    assert pre(dict(inputs=_clip()))['inputs']['clip'].shape[0] == 1
    with pytest.raises(ValueError, match='2 clips but 1 data samples'):
        pre(dict(inputs=[_clip(), _clip()], data_samples=[_sample()]))


def test_normalised_in_place_without_touching_the_callers_clips():
    # float clips: float() of the stacked batch is the batch itself, which
    # the in-place normalisation must not confuse with the inputs
    pre = CSTEDDataPreprocessor(size_divisor=1)
    g = torch.Generator().manual_seed(0)
    clips = [torch.rand(3, 2, 4, 4, generator=g) * 255 for _ in range(2)]
    kept = [c.clone() for c in clips]
    out = pre(dict(inputs=clips))['inputs']['clip']
    assert all(torch.equal(c, k) for c, k in zip(clips, kept))
    # no padding needed: exactly (x - mean) / std
    assert torch.equal(out, (torch.stack(kept) - pre.mean) / pre.std)
