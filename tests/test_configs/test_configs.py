"""Every model config of configs/csted builds and runs a forward pass."""
import atexit
import glob
import os
import tempfile

import pytest
import torch
from mmengine.config import Config

from mmcsted.registry import MODELS
from ..test_models.utils import VOCAB, make_batch

CONFIGS = sorted(glob.glob('configs/csted/**/*.py', recursive=True))
SYNTHETIC = [c for c in CONFIGS if 'synthetic' in c]
FULL_SIZE = [c for c in CONFIGS if 'synthetic' not in c]


def _tiny_glove(dim=300):
    """A GloVe text file with VOCAB's words (for GloVeGRUTextEncoder)."""
    global _GLOVE
    if _GLOVE is None:
        g = torch.Generator().manual_seed(0)
        fd, _GLOVE = tempfile.mkstemp(suffix='.txt')
        with os.fdopen(fd, 'w') as f:
            for w in VOCAB:
                f.write(w + ' ' + ' '.join(
                    f'{x:.4f}'
                    for x in torch.randn(dim, generator=g).tolist()) + '\n')
        atexit.register(os.remove, _GLOVE)
    return _GLOVE


_GLOVE = None


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
            if node.get('type') == 'GloVeGRUTextEncoder':
                node.update(
                    vocab=VOCAB,
                    vocab_file=None,
                    vocab_from_checkpoint=False,
                    glove_file=_tiny_glove(node.get('embed_dims', 300)))
            for v in node.values():
                strip(v)

    strip(model)
    return model


def _forward(model, size):
    model.eval()
    batch = make_batch(n=1, t=model.clip_len, size=size)
    with torch.no_grad():
        out = model(**model.data_preprocessor(batch), mode='predict')
    assert out[0].pred_sem_seg.shape == (size, size)
    score = out[0].seg_logits.data
    assert torch.isfinite(score).all()
    assert ((score >= 0) & (score <= 1)).all()
    assert set(out[0].pred_sem_seg.data.unique().tolist()) <= {0, 1}


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


def _reads_no_cmam(model_cfg):
    return not any(
        model_cfg.get(enc) and model_cfg[enc].get('cmam_stages', (1, )) != ()
        for enc in ('spatial_encoder', 'temporal_encoder'))


def _query_changes_output(model, size):
    """Logits for the same frames under two queries differ."""
    model.eval()
    logits = []
    for query in ('the red dog jumping', 'a blue cat on the left'):
        batch = make_batch(n=1, t=model.clip_len, size=size, queries=[query])
        with torch.no_grad():
            logits.append(model(**model.data_preprocessor(batch))[0])
    return not torch.allclose(logits[0], logits[1])


def _check_language_path(path, size):
    # A fixed draw: with some random inits the untrained mask head is dead
    # (constant logits), which made this check depend on the tests run before.
    torch.manual_seed(0)
    cfg = offline_model_cfg(path)
    model = MODELS.build(cfg)
    model.init_weights()
    if _reads_no_cmam(cfg):
        # The paper's baselines read the query in the decoder only.
        assert model.decode_head.language_concat is not None, path
        assert _query_changes_output(model, size), path
    else:
        # The full model (and every Table 3c row) reads it through CMAM and
        # has no decoder concatenation.
        assert getattr(model.decode_head, 'language_concat',
                       None) is None, path


@pytest.mark.parametrize('path', SYNTHETIC)
def test_synthetic_configs_read_the_query(path):
    _check_language_path(path, 64)


@pytest.mark.slow
@pytest.mark.parametrize('path', FULL_SIZE)
def test_paper_configs_read_the_query(path):
    _check_language_path(path, 64)


def test_no_cmam_rows_exist_for_every_table_3a_3b_row():
    no_cmam = {p for p in CONFIGS if _reads_no_cmam(offline_model_cfg(p))}
    # spatial only, temporal only, concat, add, max, LGFS; A2D and synthetic
    scratch = [p for p in no_cmam if 'pretrained' not in p]
    assert len([p for p in scratch if 'synthetic' in p]) == 6
    assert len([p for p in scratch if 'synthetic' not in p]) == 6
    # the Table 3a rows again with encoders pretrained in the synthetic
    # world (configs/pretrain/): spatial only, temporal only, concat, LGFS
    pretrained = sorted(p for p in no_cmam if 'pretrained' in p)
    assert [p.split('pretrained_')[1] for p in pretrained] == [
        'no-cmam_concat_synthetic.py', 'no-cmam_lgfs_synthetic.py',
        'spatial-only_synthetic.py', 'temporal-only_synthetic.py'
    ]
