"""Small CSTED models built from the package's configs, for tests."""
import copy

import torch
from mmengine.config import Config
from mmengine.structures import PixelData

from mmcsted.registry import MODELS
from mmcsted.structures import ActorSegDataSample

TINY_CONFIG = 'configs/_base_/models/csted_tiny.py'
VOCAB = [
    'the', 'a', 'red', 'blue', 'dog', 'cat', 'jumping', 'running', 'left', 'on'
]


def tiny_model_cfg(**head):
    cfg = Config.fromfile(TINY_CONFIG).model
    for enc in ('spatial_encoder', 'temporal_encoder'):
        cfg[enc].text_encoder.vocab_file = None
        cfg[enc].text_encoder.vocab = VOCAB
    cfg.decode_head.update(head)
    return copy.deepcopy(cfg)


def build_tiny(cfg=None, init=True, **head):
    cfg = cfg or tiny_model_cfg(**head)
    model = MODELS.build(cfg)
    if init:
        model.init_weights()
    return model


def make_batch(n=2, t=8, size=64, queries=None, seed=0, ori=None):
    g = torch.Generator().manual_seed(seed)
    inputs = [
        torch.randint(
            0, 256, (3, t, size, size), generator=g, dtype=torch.uint8)
        for _ in range(n)
    ]
    queries = queries or ['the red dog jumping', 'a blue cat'] * n
    samples = []
    for i in range(n):
        mask = torch.zeros(1, size, size, dtype=torch.uint8)
        mask[:, 8 + i:30 + i, 10:40] = 1
        samples.append(
            ActorSegDataSample(
                metainfo=dict(
                    query=queries[i],
                    target_index=t // 2,
                    img_shape=(size, size),
                    ori_shape=ori or (size, size),
                    sample_idx=i),
                gt_sem_seg=PixelData(data=mask)))
    return dict(inputs=inputs, data_samples=samples)
