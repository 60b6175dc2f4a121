"""CSTM's text path (RyanHTR/CSTM datasets/word_utils.py
Corpus.tokenize, models/cstm_model.py txt_encoder/txt_norm): tokeniser, fixed
GloVe vectors with zeros for unknown tokens and pads, bias-free GRU over all 20
positions, LayerNorm + tanh."""
import logging
import re
import zipfile

import pytest
import torch

from mmcsted.models.text_encoders import (GloVeGRUTextEncoder, cstm_tokenize,
                                          load_glove_vectors)


def regex_rule(line, max_len=20):
    """word_utils.Corpus.tokenize's token rule, restated."""
    words = re.split(r'(\W+)', line.strip())
    words = [w.lower() for w in words if len(w) > 0 and w != ' ']
    if len(words) == 0:
        words = ['']
    mask = [1] * len(words)
    if words[-1] == '.':
        words, mask = words[:-1], mask[:-1]
    if len(words) > max_len:
        words, mask = words[:max_len], mask[:max_len]
    elif len(words) < max_len:
        mask += [0] * (max_len - len(words))
        words += [''] * (max_len - len(words))
    return words, mask


TRICKY = [
    "man's", 'a dog, running.', 'A dog running  ', '  a  dog   running.', '',
    ' ', '.', '...', 'a dog.', 'a dog. ', 'a dog..', 'The Man IS running',
    'café crème brûlée', 'naïve Zoë', 'a man-in-red is jumping!', 'x ' * 30,
    ('word ' * 19) + 'last.', ('word ' * 25) + '.', 'tab\tseparated\nline',
    'don\'t stop', '"quoted" words', '1st car 2', 'under_score',
    'end with space .'
]


@pytest.mark.parametrize('text', TRICKY)
def test_cstm_tokenize_equals_the_regex_rule(text):
    words, mask = cstm_tokenize(text)
    assert (words, mask) == regex_rule(text)
    assert len(words) == len(mask) == 20


def test_cstm_tokenize_examples():

    def real(text):
        words, mask = cstm_tokenize(text)
        return [w for w, m in zip(words, mask) if m]

    assert real("man's") == ['man', "'", 's']
    assert real('a dog, running.') == ['a', 'dog', ', ', 'running']
    assert real('A  dog') == ['a', '  ', 'dog']  # double space kept
    assert real('café crème') == ['café', 'crème']  # \W is Unicode-aware
    assert real('') == ['']  # CSTM's [''] (mask 1)
    assert cstm_tokenize('.')[1] == [0] * 20
    assert real('a dog..') == ['a', 'dog', '..']
    words, mask = cstm_tokenize('w ' * 25)
    assert words == ['w'] * 20 and mask == [1] * 20
    assert cstm_tokenize('a dog', max_words=0) == (['a', 'dog'], [1, 1])


def write_glove(path, table, header=False):
    with open(path, 'w', encoding='utf-8') as f:
        if header:
            f.write('3 4\n')
        for word, vec in table:
            f.write(word + ' ' + ' '.join(f'{x:.6f}' for x in vec) + '\n')


DIM, HID = 6, 8
# (a GloVe text file cannot hold ', ': that token is always a zero vector)
WORDS = ['a', 'dog', 'man', "'", 's', 'running', ',']


@pytest.fixture
def glove(tmp_path):
    g = torch.Generator().manual_seed(0)
    table = [(w, torch.randn(DIM, generator=g).tolist()) for w in WORDS]
    table.append(('cat', [9.] * DIM))
    path = tmp_path / 'glove.txt'
    write_glove(path, table)
    return str(path), {w: torch.tensor(v) for w, v in table}


def make_encoder(glove_file, vocab=WORDS + ['purple'], max_words=20):
    enc = GloVeGRUTextEncoder(
        vocab=vocab,
        glove_file=glove_file,
        embed_dims=DIM,
        hidden_dims=HID,
        max_words=max_words)
    enc.init_weights()
    with torch.no_grad():
        for p in enc.norm.parameters():
            p.normal_()
    return enc.eval()


def reference_text_path(enc, vectors, text):
    """GloVe lookup (zeros if absent), GRU equations without biases over
    all positions, LayerNorm (eps 1e-5), tanh."""
    words, _ = regex_rule(text, enc.max_words)
    x = torch.stack(
        [vectors[w] if w in vectors else torch.zeros(DIM) for w in words])
    w_ir, w_iz, w_in = enc.gru.weight_ih_l0.chunk(3)
    w_hr, w_hz, w_hn = enc.gru.weight_hh_l0.chunk(3)
    h = torch.zeros(HID)
    outs = []
    for xt in x:
        r = torch.sigmoid(w_ir @ xt + w_hr @ h)
        z = torch.sigmoid(w_iz @ xt + w_hz @ h)
        n = torch.tanh(w_in @ xt + r * (w_hn @ h))
        h = (1 - z) * n + z * h
        outs.append(h)
    out = torch.stack(outs)
    mu = out.mean(-1, keepdim=True)
    var = out.var(-1, unbiased=False, keepdim=True)
    out = (out - mu) / torch.sqrt(var + 1e-5) * enc.norm.weight + \
        enc.norm.bias
    return torch.tanh(out)


def test_text_path_equals_the_reference(glove):
    path, vectors = glove
    enc = make_encoder(path)
    # 'purple' has no GloVe vector: dropped from the vocabulary
    assert enc.vocab_words == WORDS
    assert not hasattr(enc, 'embedding')
    assert enc.gru.bias is False and enc.gru.batch_first
    assert [n for n, _ in enc.named_parameters()] == [
        'gru.weight_ih_l0', 'gru.weight_hh_l0', 'norm.weight', 'norm.bias'
    ]
    texts = ["A man's dog, running.", 'a purple cat', '', 'dog ' * 25]
    ids, mask = enc.tokenize(texts)
    assert ids.shape == mask.shape == (4, 20)
    with torch.no_grad():
        feats, out_mask = enc(ids, mask)
    assert feats.shape == (4, 20, HID)
    for i, text in enumerate(texts):
        # 'cat' is in the GloVe file but not in the vocabulary: zero
        ref = reference_text_path(enc, {w: vectors[w] for w in WORDS}, text)
        torch.testing.assert_close(feats[i], ref, rtol=1e-5, atol=1e-5)
    # the mask is CSTM's phrase_mask; pads are not zeroed
    # a man ' s dog ', ' running
    assert out_mask[0].tolist() == [True] * 7 + [False] * 13
    assert out_mask[2].tolist() == [True] + [False] * 19
    assert feats[0, 10:].abs().sum() > 0


def test_unknown_tokens_and_pads_are_zero_vectors(glove):
    enc = make_encoder(glove[0])
    ids, mask = enc.tokenize(['a purple cat dog'])
    emb = enc.embed(ids)[0]
    assert (emb[1] == 0).all() and (emb[2] == 0).all()  # purple, cat
    assert (emb[4:] == 0).all()  # pads
    torch.testing.assert_close(emb[3], glove[1]['dog'])
    # unknown tokens are counted (pads are not)
    assert enc.unknown_words == {'purple': 1, 'cat': 1}
    enc.tokenize(['purple, purple'])
    assert enc.unknown_words['purple'] == 3
    assert enc.token_strings('a purple dog')[:4] == [
        'a', 'purple (unk)', 'dog', '<pad>'
    ]


def test_queries_without_tokens_or_too_long_are_logged_once_each(
        glove, monkeypatch):
    logged = []
    monkeypatch.setattr(
        'mmcsted.models.text_encoders.base_word_text_encoder.print_log',
        lambda msg, **kw: logged.append(msg))
    enc = make_encoder(glove[0])
    for _ in range(4):  # a video's clips all carry its query
        enc.tokenize(['.', 'dog ' * 30])
    assert [m.split(' ')[1] for m in logged] == ["'.'", 'of']
    assert 'no token' in logged[0] and 'cut to its first 20' in logged[1]
    assert enc.truncated_queries == 4


def test_a_pad_token_with_a_vector_is_used(tmp_path):
    """If the vectors give '' a vector (torchtext would), pads read it."""
    enc = GloVeGRUTextEncoder(
        vocab_from_checkpoint=True, embed_dims=DIM, hidden_dims=HID)
    state = enc.state_dict()
    state['vocab_buffer'] = GloVeGRUTextEncoder.encode_vocab(['', 'a', 'zz'])
    state['word_vectors'] = torch.arange(3 * DIM).float().view(3, DIM) + 1
    state['word_vectors'][2] = 0  # stored without a vector
    enc.load_state_dict(state)
    assert enc.vocab_words == ['', 'a', 'zz']
    ids, _ = enc.tokenize(['a'])
    assert ids[0].tolist() == [1] + [0] * 19
    assert not enc.unknown_words
    # a word stored with a zero vector reads as zeros and counts as unknown
    ids, _ = enc.tokenize(['a zz'])
    assert (enc.embed(ids)[0, 1] == 0).all()
    assert enc.unknown_words == {'zz': 1}
    assert enc.token_strings('a zz')[:3] == ['a', 'zz (unk)', '<pad>']


def test_vocabulary_travels_in_the_checkpoint(glove):
    enc = make_encoder(glove[0])
    state = enc.state_dict()
    assert set(state) == {
        'vocab_buffer', 'word_vectors', 'gru.weight_ih_l0', 'gru.weight_hh_l0',
        'norm.weight', 'norm.bias'
    }
    assert state['vocab_buffer'].dtype == torch.uint8
    fresh = GloVeGRUTextEncoder(
        vocab_from_checkpoint=True, embed_dims=DIM, hidden_dims=HID)
    with pytest.raises(RuntimeError, match='checkpoint'):
        fresh.tokenize(['a dog'])
    fresh.load_state_dict(state)
    assert fresh.vocab_words == enc.vocab_words
    torch.testing.assert_close(fresh.word_vectors, enc.word_vectors)
    ids, mask = enc.tokenize(['a dog, running'])
    with torch.no_grad():
        torch.testing.assert_close(fresh.eval()(ids, mask)[0],
                                   enc(ids, mask)[0])
    # weights_only loading works: tensors only
    import io
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    torch.load(buf, weights_only=True)


def test_bad_construction(glove):
    with pytest.raises(ValueError, match='vocab_from_checkpoint'):
        GloVeGRUTextEncoder()
    with pytest.raises(ValueError, match='glove_file'):
        GloVeGRUTextEncoder(vocab=['a'])


def test_load_glove_vectors_follows_torchtext(tmp_path):
    path = tmp_path / 'g.txt'
    write_glove(
        path, [('a', [1., 2.]), ('b', [3., 4.]), ('a', [5., 6.])], header=True)
    vecs, dim = load_glove_vectors(str(path), ['a', 'b', 'c'])
    assert dim == 2 and set(vecs) == {'a', 'b'}
    assert vecs['a'].tolist() == [5., 6.]  # the last occurrence wins
    zpath = tmp_path / 'g.zip'
    with zipfile.ZipFile(zpath, 'w') as zf:
        zf.write(path, 'glove.txt')
    assert load_glove_vectors(str(zpath), ['b'])[0]['b'].tolist() == [3., 4.]
    cache = tmp_path / 'g.txt.pt'
    torch.save((['a', 'b'], {
        'a': 0,
        'b': 1
    }, torch.tensor([[1., 2.], [3., 4.]]), 2), cache)
    assert load_glove_vectors(str(cache), ['b'])[0]['b'].tolist() == [3., 4.]


def test_malformed_glove_lines_are_named(tmp_path):
    path = tmp_path / 'g.txt'
    path.write_text('a 1.0 2.0\nb 3.0 4.0 5.0\n', encoding='utf-8')
    with pytest.raises(ValueError, match=r'g.txt:2: a 3-d vector'):
        load_glove_vectors(str(path), ['a', 'b'])
    path.write_text('a 1.0 2.0\nb 3.0 x\n', encoding='utf-8')
    with pytest.raises(ValueError, match=r"g.txt:2: .*'b'.*not a number"):
        load_glove_vectors(str(path), ['a', 'b'])


@pytest.mark.parametrize('value', ['nan', 'inf', '-inf', 'NaN'])
def test_non_finite_glove_vectors_are_refused(tmp_path, value):
    path = tmp_path / 'g.txt'
    path.write_text(f'a 1.0 2.0\nb 3.0 {value}\nc 5.0 nan\n', encoding='utf-8')
    with pytest.raises(ValueError, match=r"g.txt:2: .*'b'.*NaN or inf"):
        load_glove_vectors(str(path), ['a', 'b'])
    # a line the vocabulary does not read is not looked at
    assert set(load_glove_vectors(str(path), ['a'])[0]) == {'a'}
    # the encoder's vocabulary embeddings go through the same check
    enc = GloVeGRUTextEncoder(
        vocab=['a', 'b'], glove_file=str(path), embed_dims=2, hidden_dims=4)
    with pytest.raises(ValueError, match=r'g.txt:2: '):
        enc.init_weights()
    cache = tmp_path / 'g.txt.pt'
    torch.save((['a', 'b'], {
        'a': 0,
        'b': 1
    }, torch.tensor([[1., 2.], [3., float(value)]]), 2), cache)
    with pytest.raises(ValueError, match=r"g.txt.pt: .*'b' \(row 1\)"):
        load_glove_vectors(str(cache), ['b'])


def test_low_glove_coverage_warns_with_the_figure(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(
        'mmcsted.models.text_encoders.glove_gru_text_encoder.print_log',
        lambda msg, **kw: logged.append((msg, kw.get('level'))))
    path = tmp_path / 'g.txt'
    write_glove(path, [(w, [1., 2.]) for w in ('w0', 'w1', 'w2', 'w3')])
    vocab = [f'w{i}' for i in range(1303)]
    assert len(load_glove_vectors(str(path), vocab)[0]) == 4
    assert len(logged) == 1
    msg, level = logged[0]
    assert level == logging.WARNING
    assert 'only 4 of the 1,303 vocabulary words (0.3 %, below 50 %)' in msg
    logged.clear()
    load_glove_vectors(str(path), vocab[:6])  # 4 of 6: enough
    assert not logged


def test_glove_tokens_with_spaces(tmp_path):
    """840B has a few tokens with spaces: the vector is the last fields."""
    path = tmp_path / 'g.txt'
    path.write_text(
        'a 1.0 2.0\n. . . 3.0 4.0\nat name@domain.com 5.0 6.0\n',
        encoding='utf-8')
    vecs, dim = load_glove_vectors(
        str(path), ['a', '. . .', 'at name@domain.com'])
    assert dim == 2
    assert vecs['. . .'].tolist() == [3., 4.]
    assert vecs['at name@domain.com'].tolist() == [5., 6.]
    with pytest.raises(ValueError, match='2-d vectors, the encoder 3-d'):
        load_glove_vectors(str(path), ['a'], dim=3)
