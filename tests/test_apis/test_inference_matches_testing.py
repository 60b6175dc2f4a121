"""Inference runs the config's test pipeline: the masks of inference_video
are those of the dataset's test pipeline + model.test_step (what
tools/test.py runs); float frames and tiny resized frames are not silent."""
import logging

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmcsted.apis import inference_video, init_model
from mmcsted.apis.inference import streaming
from mmcsted.registry import DATASETS
from tests.helpers import TINY_SYNTHETIC_CONFIG, make_frames
from tools.data import synthetic

SIZE = 32


@pytest.fixture(scope='module')
def synthetic_setup(tmp_path_factory):
    """(the tiny synthetic model with random weights, its test dataset)."""
    root = str(tmp_path_factory.mktemp('syn') / 'data')
    synthetic.generate(
        root, num_videos=8, height=32, width=40, num_frames=12, seed=5)
    cfg = Config.fromfile(TINY_SYNTHETIC_CONFIG)
    for enc in ('spatial_encoder', 'temporal_encoder'):
        cfg.model[enc].text_encoder.vocab_file = root + '/vocab.json'
    for key in ('val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = root
    torch.manual_seed(0)
    model = init_model(cfg)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    return model, dataset


def test_inference_gives_the_masks_of_testing(synthetic_setup):
    model, dataset = synthetic_setup
    video_id = dataset.get_data_info(0)['video_id']
    indices = [
        i for i in range(len(dataset))
        if dataset.get_data_info(i)['video_id'] == video_id
    ]
    assert indices
    for i in indices:
        info = dataset.get_data_info(i)
        with torch.no_grad():
            tested = model.test_step(pseudo_collate([dataset[i]]))[0]
        inferred = inference_video(
            model,
            info['video_path'],
            info['query'],
            frames=[info['frame_id'] - 1],
            batch_size=1,
            progress=False)
        score = tested.seg_logits.data[0].numpy()
        assert inferred.masks[0].shape == (32, 40)
        assert score.std() > 0  # a real map, not a constant
        np.testing.assert_array_equal(inferred.masks[0],
                                      tested.pred_sem_seg.data[0].numpy())
        np.testing.assert_array_equal(inferred.scores[0], score)


def test_float_frames_in_0_1_equal_uint8_frames(tiny_model):
    frames = make_frames(num_frames=4, height=32, width=32)
    kw = dict(frames=[1, 2], progress=False, input_size=SIZE)
    as_uint8 = inference_video(tiny_model, frames, 'a red dog', **kw)
    as_float = inference_video(tiny_model,
                               frames.astype(np.float32) / 255, 'a red dog',
                               **kw)
    for a, b in zip(as_uint8.scores, as_float.scores):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r'float frames must lie in \[0, 1\]'):
        inference_video(tiny_model, frames.astype(np.float32), 'a red dog',
                        **kw)


def test_a_tiny_resized_frame_is_warned_about(tiny_model, monkeypatch):
    records = []
    monkeypatch.setattr(
        streaming,
        'print_log',
        lambda msg, logger=None, level=logging.INFO: records.append(
            (level, msg)))
    tall = np.full((2, 600, 10, 3), 128, np.uint8)  # 32 x 1 px at SIZE
    inference_video(tiny_model, tall, 'a dog', progress=False, input_size=SIZE)
    warned = [m for lvl, m in records if lvl == logging.WARNING]
    assert len(warned) == 1 and '600 x 10 px' in warned[0]
    assert '32 x 1 px' in warned[0]
    records.clear()
    inference_video(
        tiny_model,
        make_frames(2, 24, 40),
        'a dog',
        progress=False,
        input_size=SIZE)  # 19 x 32 px
    assert records == []
