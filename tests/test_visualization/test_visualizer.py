import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmcsted.registry import VISUALIZERS
from mmcsted.structures import ActorSegDataSample
from mmcsted.visualization import (ActorSegVisualizer, draw_mask,
                                   frame_from_clip, overlay_query_mask)
from mmcsted.visualization.actor_seg_visualizer import (GT_COLOR, PRED_COLOR,
                                                        mask_iou, text_band)


def _sample(h=48, w=64, query='the red dog is jumping on the left'):
    pred = torch.zeros(1, h, w, dtype=torch.uint8)
    pred[:, 10:30, 10:40] = 1
    gt = torch.zeros(1, h, w, dtype=torch.uint8)
    gt[:, 12:32, 14:44] = 1
    ds = ActorSegDataSample(metainfo=dict(query=query, ori_shape=(h, w)))
    ds.pred_sem_seg = PixelData(data=pred)
    ds.seg_logits = PixelData(data=pred.float() * 0.9)
    ds.gt_sem_seg = PixelData(data=gt)
    return ds


def test_draw_mask_only_touches_the_mask():
    img = np.full((20, 30, 3), 100, np.uint8)
    mask = np.zeros((20, 30), np.uint8)
    mask[5:10, 5:15] = 1
    out = draw_mask(img, mask, color=(255, 0, 0), alpha=0.5, contour=False)
    assert (out[mask == 0] == 100).all()
    assert (out[mask == 1] == (177, 50, 50)).all()
    # a mask of another size is resized to the image (nearest)
    small = draw_mask(img, mask[::2, ::2], contour=False)
    assert (small != img).any(axis=-1).sum() == pytest.approx(50, abs=12)


def test_overlay_query_mask_enlarges_and_writes_the_query_above():
    frame = np.zeros((48, 64, 3), np.uint8)
    mask = np.zeros((48, 64), np.uint8)
    mask[10:20, 10:20] = 1
    out = overlay_query_mask(frame, mask, 'a dog', min_size=320)
    assert out.shape[1] == 64 * 5 and out.shape[0] > 48 * 5
    band = out.shape[0] - 48 * 5
    assert (out[:band] > 0).any()  # the text
    assert (out[band:] == overlay_query_mask(frame, mask, min_size=320)).all()
    long = text_band('word ' * 60, 200)
    assert long.shape[0] > text_band('word', 200).shape[0]  # wrapped


def test_visualizer_writes_a_file_and_to_its_backends(tmp_path):
    vis = VISUALIZERS.build(
        dict(
            type='ActorSegVisualizer',
            name='test_vis_file',
            vis_backends=[dict(type='LocalVisBackend')],
            save_dir=str(tmp_path / 'backend'),
            draw_score=True))
    assert isinstance(vis, ActorSegVisualizer)
    image = np.random.default_rng(0).integers(
        0, 255, (48, 64, 3), dtype=np.uint8)
    out_file = tmp_path / 'out' / 'sample.png'
    vis.add_datasample('sample', image, _sample(), out_file=str(out_file))
    drawn = cv2.imread(str(out_file))
    assert drawn is not None
    # prediction | score | ground truth, each enlarged 5x (320 / 64)
    assert drawn.shape[1] == 3 * 320 + 2 * 4
    assert drawn.shape[0] > 240
    rgb = vis.get_image()
    assert rgb.shape == drawn.shape
    # both colours are present
    assert (np.abs(rgb.astype(int) - PRED_COLOR).sum(-1) < 60).any()
    assert (np.abs(rgb.astype(int) - GT_COLOR).sum(-1) < 60).any()

    vis.add_datasample('val_sample', image, _sample(), step=3)
    assert (tmp_path / 'backend' / 'vis_data' / 'vis_image' /
            'val_sample_3.png').exists()


def test_visualizer_draws_what_it_has(tmp_path):
    vis = ActorSegVisualizer.get_instance('test_vis_partial', min_size=0)
    image = np.zeros((48, 64, 3), np.uint8)
    ds = _sample()
    only_pred = vis.draw_sample(image, ds, draw_gt=False)
    both = vis.draw_sample(image, ds)
    assert both.shape[1] == 2 * only_pred.shape[1] + 4
    # masks at another size than the image (e.g. the input size) are resized
    big = vis.draw_sample(np.zeros((96, 128, 3), np.uint8), ds)
    assert big.shape[1] == 2 * 128 + 4
    assert vis.draw_sample(image).shape[:2] == (48, 64)
    with pytest.raises(ValueError, match='RGB'):
        vis.draw_sample(np.zeros((4, 4), np.uint8), ds)
    assert mask_iou(ds.pred_sem_seg.data[0].numpy(),
                    ds.gt_sem_seg.data[0].numpy()) == pytest.approx(
                        (18 * 26) / (600 + 600 - 18 * 26))


def test_frame_from_clip_undoes_padding_resize_and_normalisation():
    frame = np.random.default_rng(1).integers(
        0, 255, (24, 32, 3), dtype=np.uint8)
    clip = torch.zeros(3, 4, 32, 32, dtype=torch.uint8)
    clip[:, 2, :24, :32] = torch.from_numpy(frame).permute(2, 0, 1)
    meta = dict(target_index=2, img_shape=(24, 32), ori_shape=(48, 64))
    out = frame_from_clip(clip, meta)
    assert out.shape == (48, 64, 3)
    np.testing.assert_array_equal(
        out, cv2.resize(frame, (64, 48), interpolation=cv2.INTER_LINEAR))
    mean = torch.tensor([123.675, 116.28, 103.53])
    std = torch.tensor([58.395, 57.12, 57.375])
    norm = (clip.float() - mean.view(3, 1, 1, 1)) / std.view(3, 1, 1, 1)
    out2 = frame_from_clip(norm, meta, mean, std)
    assert np.abs(out2.astype(int) - out.astype(int)).max() <= 1


def test_a_huge_query_is_cut_to_three_lines():
    # a 10,000-character query made a caption band 5,432 px tall
    from mmcsted.visualization.actor_seg_visualizer import _FONT, _wrap
    huge = 'the man in red running ' * 435
    assert len(huge) > 10000
    one_line = text_band('word', 200).shape[0]
    band = text_band(huge, 200)
    assert band.shape == text_band('word ' * 60, 200).shape
    assert band.shape[0] < 3 * one_line
    lines = _wrap(huge, 180, 0.4, 1)
    assert len(lines) == 3 and lines[-1].endswith(' ...')
    assert all(
        cv2.getTextSize(line, _FONT, 0.4, 1)[0][0] <= 180 for line in lines)
