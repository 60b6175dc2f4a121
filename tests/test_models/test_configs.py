"""Every model config of configs/csted builds and runs a forward pass."""
import glob

import pytest
import torch
from mmengine.config import Config

from mmcsted.registry import MODELS
from .utils import VOCAB, make_batch

CONFIGS = sorted(glob.glob('configs/csted/**/*.py', recursive=True))
SYNTHETIC = [c for c in CONFIGS if 'synthetic' in c]
FULL_SIZE = [c for c in CONFIGS if 'synthetic' not in c]


def offline_model_cfg(path):
    """The config's model with no download and a fixed vocabulary."""
    model = Config.fromfile(path).model

    def strip(node):
        if isinstance(node, dict):
            init = node.get('init_cfg')
            if isinstance(init, dict) and init.get('type') == 'Pretrained':
                node['init_cfg'] = None
            if node.get('type') == 'GRUTextEncoder':
                node.update(vocab=VOCAB, vocab_file=None)
            for v in node.values():
                strip(v)
    strip(model)
    return model


def _forward(model, size):
    model.eval()
    batch = make_batch(n=1, t=model.clip_len, size=size)
    with torch.no_grad():
        out = model(**model.data_preprocessor(batch), mode='predict')
    assert out[0].pred_mask.shape == (size, size)


def test_all_configs_are_found():
    assert len(SYNTHETIC) >= 8 and len(FULL_SIZE) >= 17


@pytest.mark.parametrize('path', SYNTHETIC)
def test_synthetic_configs_build_and_run(path):
    model = MODELS.build(offline_model_cfg(path))
    model.init_weights()
    _forward(model, 64)


@pytest.mark.slow
@pytest.mark.parametrize('path', FULL_SIZE)
def test_paper_configs_build_and_run(path):
    model = MODELS.build(offline_model_cfg(path))
    _forward(model, 64)
