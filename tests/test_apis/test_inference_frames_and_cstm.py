"""Inference on a folder of frame images, and with the authors' CSTM
test input (CSTM clip, PIL stretch, PIL-decoded images)."""

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmcsted.apis import inference_video, iter_inference
from mmcsted.apis.inference import VideoActorSegInferencer, inference_pipeline
from mmcsted.datasets.clip_sampling import cstm_clip
from mmcsted.structures import ActorSegDataSample
from mmcsted.utils.video_io import VideoReadError, open_video
from tests.helpers import make_frames, write_frame_folder

SIZE = 32


def test_folder_of_frames_equals_the_mp4_it_came_from(tiny_model, small_video,
                                                      tmp_path):
    """Lossless case: the mp4's decoded frames written as PNGs give the same
    frames, numbering and masks as the mp4."""
    path, _ = small_video
    with open_video(path) as reader:
        decoded = [f for _, f in reader.iter_frames(range(reader.num_frames))]
    folder = tmp_path / 'pngs'
    write_frame_folder(folder, decoded, ext='png')
    kw = dict(progress=False, input_size=SIZE, batch_size=4)
    from_mp4 = inference_video(tiny_model, path, 'the red dog', **kw)
    from_dir = inference_video(tiny_model, str(folder), 'the red dog', **kw)
    assert from_dir.frame_indices == from_mp4.frame_indices == list(
        range(len(decoded)))
    for a, b in zip(from_dir.masks, from_mp4.masks):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(from_dir.scores, from_mp4.scores):
        np.testing.assert_array_equal(a, b)
    # chosen frames: same 0-based numbering (other batches: float rounding)
    part = inference_video(
        tiny_model, str(folder), 'the red dog', frames=[0, 7, 19], **kw)
    assert part.frame_indices == [0, 7, 19]
    for i, f in enumerate([0, 7, 19]):
        np.testing.assert_allclose(
            part.scores[i], from_mp4.scores[f], atol=1e-6)


def test_folder_order_extensions_and_jpeg(tiny_model, tmp_path):
    frames = make_frames(num_frames=11, height=24, width=30)
    folder = tmp_path / 'mixed'
    folder.mkdir()
    # name order: 00001 < ... < 00011 (.jpg / .jpeg / .png mixed), a text
    # file ignored
    exts = ['jpg', 'jpeg', 'png']
    for i, f in enumerate(frames, 1):
        cv2.imwrite(
            str(folder / f'{i:05d}.{exts[i % 3]}'),
            cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    (folder / 'notes.txt').write_text('not a frame')
    out = list(
        iter_inference(
            tiny_model,
            str(folder),
            'a dog',
            progress=False,
            input_size=SIZE,
            return_frames=True))
    assert [r['frame_index'] for r in out] == list(range(11))
    # 00002.png, 00005.png, ...: lossless
    for i in (1, 4, 7, 10):
        np.testing.assert_array_equal(out[i]['frame'], frames[i])
    for i, r in enumerate(out, 1):  # the JPEGs as OpenCV decodes them
        name = f'{i:05d}.{exts[i % 3]}'
        ref = cv2.cvtColor(cv2.imread(str(folder / name)), cv2.COLOR_BGR2RGB)
        np.testing.assert_array_equal(r['frame'], ref)


def test_folder_errors_name_the_file(tiny_model, tmp_path):
    frames = make_frames(num_frames=6, height=24, width=30)
    folder = tmp_path / 'frames'
    write_frame_folder(folder, frames, ext='jpg')
    (folder / '00004.jpg').write_bytes(b'this is not a JPEG')
    for backend in ('cv2', 'pillow'):
        with pytest.raises(VideoReadError, match='00004.jpg'):
            inference_video(
                tiny_model,
                str(folder),
                'a dog',
                progress=False,
                input_size=SIZE,
                image_backend=backend)
    empty = tmp_path / 'empty'
    empty.mkdir()
    (empty / 'readme.md').write_text('no frames here')
    with pytest.raises(VideoReadError, match='no image files.*empty'):
        inference_video(tiny_model, str(empty), 'a dog', progress=False)
    with pytest.raises(FileNotFoundError, match='nowhere'):
        inference_video(tiny_model, str(tmp_path / 'nowhere'), 'a dog')


CSTM_PIPELINE = [
    dict(type='VideoInit'),
    dict(
        type='SampleClipAroundFrame',
        clip_len=8,
        frame_interval=2,
        mode='cstm'),
    dict(type='VideoDecode', image_backend='pillow'),
    dict(type='ResizeStretch', size=SIZE, backend='pillow'),
    dict(type='LoadActorMask'),
    dict(type='PackActorSegInputs'),
]


def test_inference_pipeline_of_a_release_config(tiny_model):
    cfg = Config(
        dict(test_dataloader=dict(dataset=dict(pipeline=CSTM_PIPELINE))))
    tiny_model.cfg = cfg
    try:
        pipeline = inference_pipeline(tiny_model)
        assert pipeline.transforms == [
            CSTM_PIPELINE[1],
            dict(type='ClipFromFrameCache'), CSTM_PIPELINE[3], CSTM_PIPELINE[5]
        ]
        assert pipeline.image_backend == 'pillow'
        # overrides change the pipeline's transforms
        other = inference_pipeline(
            tiny_model,
            input_size=48,
            clip_mode='centred',
            resize='pad_square',
            image_backend='cv2')
        assert other.find('ResizePadSquare')['size'] == 48
        assert other.find('ResizeStretch') is None
        assert other.find('SampleClipAroundFrame')['mode'] == 'centred'
        assert other.image_backend == 'cv2'
        assert CSTM_PIPELINE[1]['mode'] == 'cstm'  # not modified
    finally:
        del tiny_model.cfg


def test_cstm_inference_on_a_jpeg_folder(tiny_model, tmp_path):
    """With the release settings each frame f (1-based) is predicted from
    the CSTM clip read with PIL and stretched with PIL's bilinear."""
    frames = make_frames(num_frames=14, height=24, width=40)
    folder = tmp_path / 'jpgs'
    write_frame_folder(folder, frames, ext='jpg')
    settings = dict(
        clip_mode='cstm',
        resize='stretch',
        resize_backend='pillow',
        image_backend='pillow')
    result = inference_video(
        tiny_model,
        str(folder),
        'a red dog',
        frames=[0, 4, 9, 13],
        progress=False,
        input_size=SIZE,
        clip_len=8,
        frame_interval=2,
        batch_size=3,
        **settings)
    assert result.frame_indices == [0, 4, 9, 13]
    pil = [
        np.asarray(
            Image.open(folder / f'{i:05d}.jpg').convert('RGB').resize(
                (SIZE, SIZE), Image.BILINEAR)) for i in range(1, 15)
    ]
    for k, f0 in enumerate(result.frame_indices):
        inds, index, _ = cstm_clip(f0 + 1, 14, 8, 2)
        clip = torch.from_numpy(
            np.stack([pil[i - 1] for i in inds]).transpose(3, 0, 1, 2).copy())
        batches = VideoActorSegInferencer(tiny_model).preprocess(
            str(folder),
            1,
            frames=[f0],
            keep_frames=True,
            input_size=SIZE,
            clip_len=8,
            frame_interval=2,
            **settings)
        item = next(batches)[0]
        batches.close()
        assert torch.equal(item.clip, clip)
        assert [i + 1 for i in item.frame_inds] == inds
        assert item.img_shape == (SIZE, SIZE) and item.ori_shape == (24, 40)
        sample = ActorSegDataSample(
            metainfo=dict(
                query='a red dog',
                target_index=index,
                img_shape=(SIZE, SIZE),
                pad_shape=(SIZE, SIZE),
                ori_shape=(24, 40)))
        with torch.no_grad():
            pred = tiny_model.test_step(
                dict(inputs=[clip], data_samples=[sample]))[0]
        np.testing.assert_allclose(
            result.scores[k], pred.seg_logits.data[0].numpy(), atol=1e-6)
    # the CSTM clip leaves out an even target near the start (frames
    # 1, 3, ..., 15): its original frame is still returned
    out = list(
        iter_inference(
            tiny_model,
            str(folder),
            'a red dog',
            frames=[1],
            progress=False,
            input_size=SIZE,
            clip_len=8,
            frame_interval=2,
            return_frames=True,
            **settings))
    np.testing.assert_array_equal(
        out[0]['frame'],
        np.asarray(Image.open(folder / '00002.jpg').convert('RGB')))
    with pytest.raises(ValueError, match='clip_mode'):
        inference_video(tiny_model, str(folder), 'a dog', clip_mode='x')
