"""configs/csted/csted_r50_i3d_*_release.py: the authors' CSTM CSTED as
switches on mmcsted's modules (METHOD.md, last section)."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config

from mmcsted.models.backbones.inception_i3d import MaxPool3dSame
from mmcsted.models.necks import CMAM
from mmcsted.models.text_encoders import GloVeGRUTextEncoder
from mmcsted.registry import MODELS
from ..test_models.test_necks.test_cmam_cstm import cstm_cmam, randomise
from ..test_models.utils import make_batch

CONFIGS = [
    'configs/csted/csted_r50_i3d_a2d_cstm.py',
    'configs/csted/csted_r50_i3d_jhmdb_cstm.py'
]


@pytest.fixture(scope='module')
def cstm_model():
    return MODELS.build(Config.fromfile(CONFIGS[0]).model)


def _no_pretrained(node):
    if isinstance(node, dict):
        init = node.get('init_cfg')
        assert not (isinstance(init, dict)
                    and init.get('type') == 'Pretrained'), node
        for v in node.values():
            _no_pretrained(v)


@pytest.mark.parametrize('path', CONFIGS)
def test_cstm_config_switches(path):
    cfg = Config.fromfile(path)
    _no_pretrained(cfg.model.to_dict())
    m = cfg.model
    assert m.text_encoder.type == 'GloVeGRUTextEncoder'
    assert m.text_encoder.vocab_from_checkpoint
    assert m.temporal_index == 'middle'
    assert m.data_preprocessor.frame_index == 4
    assert list(m.data_preprocessor.mean) == [0.] * 3
    assert list(m.data_preprocessor.std) == [255.] * 3
    for enc in ('spatial_encoder', 'temporal_encoder'):
        assert m[enc].text_encoder is None
        assert m[enc].cmam.style == 'cstm' and m[enc].cmam.with_coord
        assert tuple(m[enc].cmam_stages) == (1, 2, 3, 4, 5)
        assert 'renormalize' not in m[enc].backbone
    i3d = m.temporal_encoder.backbone.backbone
    assert i3d.same_padding == 'static' and i3d.bn_eps == 1e-5
    assert m.decode_head.type == 'CSTMHead'


def test_cstm_model_modules(cstm_model):
    model = cstm_model
    cmams = [m for m in model.modules() if isinstance(m, CMAM)]
    assert len(cmams) == 10
    assert all(c.style == 'cstm' and c.mid_channels == 512 for c in cmams)
    assert isinstance(model.text_encoder, GloVeGRUTextEncoder)
    assert model.spatial_encoder.text_module is model.text_encoder
    assert model.temporal_encoder.text_module is model.text_encoder
    bns = [
        m for m in model.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm)
    ]
    assert all(b.eps == 1e-5 and b.momentum == 0.1 for b in bns)
    assert model.spatial_encoder.out_channels == (64, 256, 512, 1024, 2048)
    assert model.temporal_encoder.out_channels == (64, 192, 480, 832, 1024)


def test_r50_has_torchvision_names(cstm_model):
    """CSTM's spatial encoder is torchvision's ResNet-50: same keys
    and shapes, and the same stage outputs with the same weights."""
    torchvision = pytest.importorskip('torchvision')
    tv = torchvision.models.resnet50().eval()
    ours = cstm_model.spatial_encoder.backbone
    state = ours.backbone.state_dict()
    theirs = {
        k: v
        for k, v in tv.state_dict().items() if not k.startswith('fc.')
    }
    assert set(state) == set(theirs)
    assert all(state[k].shape == theirs[k].shape for k in state)
    ours.backbone.load_state_dict(theirs)
    ours.eval()
    x = torch.randn(1, 3, 64, 64)
    stages = [
        nn.Sequential(tv.conv1, tv.bn1, tv.relu),
        nn.Sequential(tv.maxpool, tv.layer1), tv.layer2, tv.layer3, tv.layer4
    ]
    with torch.no_grad():
        y = x
        for i, stage in enumerate(stages):
            y_ours = ours.forward_stage(i, y)
            y = stage(y)
            torch.testing.assert_close(y_ours, y, rtol=0, atol=0)


def test_static_pools_pad_with_zeros_like_the_release():
    """CSTM's MaxPool3dTFPadding: ConstantPad3d(zeros) + ceil_mode,
    also for the stride-1 pools, whose input in CSTED (a CMAM output) can be
    negative."""
    x = -torch.rand(1, 2, 3, 5, 5) - 1  # all negative
    for kernel, stride in (((3, 3, 3), (1, 1, 1)), ((1, 3, 3), (1, 2, 2)),
                           ((3, 3, 3), (2, 2, 2)), ((2, 2, 2), (2, 2, 2))):
        pads = []
        for k, s in zip(kernel, stride):
            total = max(k - s, 0)
            pads.append((total // 2, total - total // 2))
        t, h, w = pads
        ref = F.max_pool3d(F.pad(x, w + h + t), kernel, stride, ceil_mode=True)
        ours = MaxPool3dSame(kernel, stride, same_padding='static')(x)
        torch.testing.assert_close(ours, ref, rtol=0, atol=0)


def _fake_converted_text(model, words):
    state = model.text_encoder.state_dict()
    state['vocab_buffer'] = GloVeGRUTextEncoder.encode_vocab(words)
    state['word_vectors'] = torch.randn(len(words), 300)
    model.text_encoder.load_state_dict(state)


def test_cstm_encoders_follow_the_release_forward(cstm_model):
    """CSTMModel.forward_encoder restated: spatial input video[:, :, 4],
    t_k = t_k + cmam_t(t_k), s_k likewise, both with the same txt (one GRU,
    all 20 positions), coord feature from CSTM's formula repeated over
    time, decoder reads t[:, :, T' // 2]."""
    model = cstm_model
    torch.manual_seed(0)
    for c in model.modules():
        if isinstance(c, CMAM):
            randomise(c, seed=int(torch.randint(0, 1000, ())))
    _fake_converted_text(model, ['a', 'man', 'is', 'running', 'dog'])
    model.eval()
    size = 64
    batch = make_batch(n=1, t=8, size=size, queries=['A man is running.'])
    batch['data_samples'][0].set_metainfo(dict(target_index=1))
    with torch.no_grad():
        data = model.data_preprocessor(batch)
        clip, frame = data['inputs']['clip'], data['inputs']['frame']
        tokens = model.tokenize(['A man is running.'])
        spatial, temporal, _ = model.encode(clip, frame, tokens,
                                            torch.tensor([1]))
        # the reference
        video = batch['inputs'][0][None].float() / 255
        torch.testing.assert_close(clip, video, rtol=0, atol=0)
        txt = model.text_encoder(*tokens['spatial'])[0]  # N, 20, 512
        assert txt.shape == (1, 20, 512)
        s_in, t_in = video[:, :, 4], video
        sb = model.spatial_encoder.backbone
        tb = model.temporal_encoder.backbone
        for i in range(5):
            # one stage of the reference from our previous stage's output
            # (random weights make the features grow: no compounding)
            s = cstm_cmam(
                dict(model.spatial_encoder.cmams[str(i + 1)].state_dict()),
                sb.forward_stage(i, s_in), txt, 2)[0]
            t = cstm_cmam(
                dict(model.temporal_encoder.cmams[str(i + 1)].state_dict()),
                tb.forward_stage(i, t_in), txt, 3)[0]
            tol = dict(rtol=1e-5, atol=1e-6 * float(s.abs().max()))
            torch.testing.assert_close(spatial[i], s, **tol)
            tol = dict(rtol=1e-5, atol=1e-6 * float(t.abs().max()))
            torch.testing.assert_close(temporal[i], t[:, :, t.shape[2] // 2],
                                       **tol)
            s_in = spatial[i]
            t_in = t  # (ours is only seen through its middle slices)
        assert [f.shape[-1] for f in spatial] == [32, 16, 8, 4, 2]
