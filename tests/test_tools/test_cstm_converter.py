"""tools/model_converters/cstm_to_mmcsted.py on a state dict that the
test writes with CSTM's exact key names and shapes."""
import importlib.util
import os.path as osp
import zipfile

import pytest
import torch

from mmcsted.models.heads.cstm_head import convert_cstm_key
from mmcsted.models.necks.cmam import CSTM_KEY_MAP

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'model_converters', 'cstm_to_mmcsted.py')


def _tool():
    spec = importlib.util.spec_from_file_location('cstm_converter', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tool():
    return _tool()


@pytest.fixture(scope='module')
def cstm_state(tool):
    """CSTM's state dict, its keys derived from the CSTM model's
    layout: the mmcsted model's keys translated back (every mapping rule
    inverted independently of the converter), random values."""
    model = tool.build_model(tool.DEFAULT_CONFIG)
    own = model.state_dict()
    from mmcsted.models.backbones.inception_i3d import InceptionI3D
    t_names = {
        name: (s, j)
        for s, names in enumerate(InceptionI3D.stage_names, 1)
        for j, name in enumerate(names)
    }
    s_names = {
        'conv1.': 's_layer1.0.',
        'bn1.': 's_layer1.1.',
        'layer1.': 's_layer2.1.',
        'layer2.': 's_layer3.',
        'layer3.': 's_layer4.',
        'layer4.': 's_layer5.'
    }
    inv_cmam = {}
    for release, ours in CSTM_KEY_MAP.items():
        three_d = 'conv3d' in release or 'batch3d' in release
        inv_cmam.setdefault((ours, three_d), release)
        if not any(x in release for x in ('conv', 'bn', 'batch3d')):
            inv_cmam[(ours, not three_d)] = release
    g = torch.Generator().manual_seed(0)
    state = {}
    for key, value in own.items():
        if key in ('text_encoder.vocab_buffer', 'text_encoder.word_vectors'):
            continue
        if key.startswith('temporal_encoder.backbone.backbone.'):
            rest = key[len('temporal_encoder.backbone.backbone.'):]
            unit, tail = rest.split('.', 1)
            s, j = t_names[unit]
            release = f't_layer{s}.{j}.{tail}'
        elif key.startswith('spatial_encoder.backbone.backbone.'):
            rest = key[len('spatial_encoder.backbone.backbone.'):]
            prefix = next(p for p in s_names if rest.startswith(p))
            release = s_names[prefix] + rest[len(prefix):]
        elif '.cmams.' in key:
            branch, rest = key.split('_encoder.cmams.')
            stage, rest = rest.split('.', 1)
            ours = next(o for (o, _) in inv_cmam if rest.startswith(o))
            three_d = branch == 'temporal'
            rel = inv_cmam.get((ours, three_d), inv_cmam.get((ours, False)))
            release = (f'cmam_{branch[0]}.{int(stage) - 1}.' + rel +
                       rest[len(ours):])
        elif key.startswith('text_encoder.'):
            release = {
                'text_encoder.gru.weight_ih_l0': 'txt_encoder.weight_ih_l0',
                'text_encoder.gru.weight_hh_l0': 'txt_encoder.weight_hh_l0',
                'text_encoder.norm.weight': 'txt_norm.0.weight',
                'text_encoder.norm.bias': 'txt_norm.0.bias'
            }[key]
        else:
            assert key.startswith('decode_head.'), key
            release = None
            for cand in _cstm_head_candidates(key[len('decode_head.'):]):
                if convert_cstm_key(cand) == key[len('decode_head.'):]:
                    release = cand
            assert release is not None, key
        if value.is_floating_point():
            value = torch.randn(value.shape, generator=g)
        state['module.' + release] = value
    return state


def _cstm_head_candidates(ours):
    import re
    rest = re.match(r'\w+\.\d+\.(.*)', ours).group(1)
    for rel in ('ires_trans', 'vres_trans', 'conv_fuse1', 'conv_fuse2',
                'conv_mask'):
        for i in range(6):
            yield f'{rel}.{i}.{rest}'


def _glove_line(word, step):
    return f'{word} ' + ' '.join(f'{step * (k + 1):.4f}' for k in range(300))


def _glove(tmp_path, words, zipped=False):
    lines = [_glove_line(w, 0.01 * (i + 1)) for i, w in enumerate(words)]
    txt = tmp_path / 'glove.txt'
    txt.write_text('\n'.join(lines) + '\n', encoding='utf-8')
    if not zipped:
        return str(txt)
    path = tmp_path / 'glove.zip'
    with zipfile.ZipFile(path, 'w') as zf:
        zf.write(txt, 'glove.840B.300d.txt')
    return str(path)


@pytest.mark.parametrize('zipped', [False, True])
def test_cstm_checkpoint_converts_and_loads_strictly(tool, cstm_state,
                                                     tmp_path, zipped):
    src = tmp_path / 'checkpoint.pth.tar'
    torch.save(dict(state_dict=cstm_state, epoch=9), src)
    vocab = tmp_path / 'vocab.txt'
    vocab.write_text('man\ndog\nrunning\nzebra\n', encoding='utf-8')
    glove = _glove(tmp_path, ['dog', 'man', 'running', 'the'], zipped)
    dst = tmp_path / 'out.pth'
    report = tool.convert(str(src), str(dst), glove, [str(vocab)])
    assert report['vocabulary'] == 4 and report['glove_found'] == 3
    assert report['epoch'] == 9
    ckpt = torch.load(dst, weights_only=True)
    model = tool.build_model(tool.DEFAULT_CONFIG)
    result = model.load_state_dict(ckpt['state_dict'], strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    sd = model.state_dict()
    # tensors land where they belong
    torch.testing.assert_close(
        sd['temporal_encoder.backbone.backbone.mixed_4c.branch_1.1.conv3d'
           '.weight'],
        cstm_state['module.t_layer4.2.branch_1.1.conv3d.weight'])
    torch.testing.assert_close(
        sd['spatial_encoder.backbone.backbone.layer1.0.conv1.weight'],
        cstm_state['module.s_layer2.1.0.conv1.weight'])
    torch.testing.assert_close(
        sd['temporal_encoder.cmams.3.transform.bn.running_mean'],
        cstm_state['module.cmam_t.2.vt.batch3d.running_mean'])
    torch.testing.assert_close(
        sd['spatial_encoder.cmams.1.query_proj.conv.weight'],
        cstm_state['module.cmam_s.0.l_query.0.weight'])
    torch.testing.assert_close(sd['decode_head.mask_heads.0.4.weight'],
                               cstm_state['module.conv_mask.5.4.weight'])
    torch.testing.assert_close(sd['text_encoder.gru.weight_hh_l0'],
                               cstm_state['module.txt_encoder.weight_hh_l0'])
    # GloVe vectors of the vocabulary; a word outside GloVe is a zero vector
    vectors = sd['text_encoder.word_vectors']
    assert list(
        model.text_encoder.vocab_words) == ['man', 'dog', 'running', 'zebra']
    assert vectors.shape == (4, 300)
    assert vectors[3].abs().sum() == 0  # zebra: not in GloVe
    assert vectors[0, 0].item() == pytest.approx(0.02)  # 'man': line 2
    assert vectors[1, 0].item() == pytest.approx(0.01)  # 'dog': line 1


def test_a_renamed_key_fails_naming_it(tool, cstm_state, tmp_path):
    state = dict(cstm_state)
    state['module.cmam_x.0.vt.conv.weight'] = state.pop(
        'module.cmam_s.0.vt.conv.weight')
    src = tmp_path / 'bad.pth.tar'
    torch.save(dict(state_dict=state, epoch=1), src)
    glove = _glove(tmp_path, ['man'])
    with pytest.raises(KeyError, match='cmam_x.0.vt.conv.weight'):
        tool.convert(str(src), str(tmp_path / 'o.pth'), glove)
    # the CLI says the same and exits 1
    assert tool.main([str(src),
                      str(tmp_path / 'o.pth'), '--glove', glove]) == 1


def test_a_missing_tensor_fails_naming_it(tool, cstm_state, tmp_path):
    state = dict(cstm_state)
    del state['module.conv_fuse2.1.0.weight']
    src = tmp_path / 'short.pth.tar'
    torch.save(dict(state_dict=state, epoch=1), src)
    with pytest.raises(KeyError, match='top_down_fusions.1.0.weight'):
        tool.convert(
            str(src), str(tmp_path / 'o.pth'), _glove(tmp_path, ['man']))


def test_non_finite_glove_vectors_are_refused(tool, cstm_state, tmp_path,
                                              capsys):
    src = tmp_path / 'checkpoint.pth.tar'
    torch.save(dict(state_dict=cstm_state, epoch=1), src)
    vocab = tmp_path / 'vocab.txt'
    vocab.write_text('man\ndog\n', encoding='utf-8')
    glove = tmp_path / 'glove.txt'
    glove.write_text(
        _glove_line('dog', 0.1) + '\n' +
        _glove_line('man', 0.2).replace('0.2000', 'nan', 1) + '\n',
        encoding='utf-8')
    dst = tmp_path / 'o.pth'
    with pytest.raises(ValueError, match=r"glove.txt:2: .*'man'.*NaN or inf"):
        tool.convert(str(src), str(dst), str(glove), [str(vocab)])
    assert tool.main(
        [str(src),
         str(dst), '--glove',
         str(glove), '--vocab',
         str(vocab)]) == 1
    assert 'glove.txt:2' in capsys.readouterr().err
    assert not dst.exists()


def test_low_glove_coverage_is_a_warning_with_the_figure(
        tool, cstm_state, tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(
        'mmcsted.models.text_encoders.glove_gru_text_encoder.print_log',
        lambda msg, **kw: logged.append(msg))
    src = tmp_path / 'checkpoint.pth.tar'
    torch.save(dict(state_dict=cstm_state, epoch=1), src)
    # the default vocabulary (A2D Sentences), 4 words of it in GloVe
    words = tool.read_vocab([tool.DEFAULT_VOCAB])
    report = tool.convert(
        str(src), str(tmp_path / 'o.pth'), _glove(tmp_path, words[:4]))
    assert report['glove_found'] == 4
    share = 100. * 4 / len(words)
    assert any(f'only 4 of the {len(words):,} vocabulary words '
               f'({share:.1f} %, below 50 %)' in m for m in logged)


class _Payload:
    """Unpickling this would call os.getpid (any callable would do)."""

    def __reduce__(self):
        import os
        return (os.getpid, ())


def test_unpickling_refusal_is_one_line(tool, tmp_path, capsys):
    import pickle
    src = tmp_path / 'evil.pth.tar'
    with open(src, 'wb') as f:
        pickle.dump(dict(state_dict=_Payload()), f)
    assert tool.main([
        str(src),
        str(tmp_path / 'o.pth'), '--glove',
        str(tmp_path / 'g.txt')
    ]) == 1
    err = capsys.readouterr().err
    assert err.startswith('error: ') and 'evil.pth.tar' in err
    assert 'Traceback' not in err and not (tmp_path / 'o.pth').exists()
