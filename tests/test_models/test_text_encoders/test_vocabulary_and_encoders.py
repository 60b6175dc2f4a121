import zipfile

import pytest
import torch

from mmcsted.models.text_encoders import GRUTextEncoder, QueryTooShortError


def test_cstm_tokenizer_unchanged_by_unicode_split():
    # the authors' tokenizer (re.split(r'(\W+)')) is reproduced as it is:
    # precomposed accents stay in the word there too, a combining mark splits
    from mmcsted.models.text_encoders import cstm_tokenize
    words, _ = cstm_tokenize('Naïve café.', max_words=0)
    assert words == ['naïve', 'café']
    words, _ = cstm_tokenize('cafe\u0301', max_words=0)
    assert words == ['cafe', '\u0301']


def test_tokenize_unknown_long_and_empty_queries(monkeypatch):
    logged = []
    monkeypatch.setattr(
        'mmcsted.models.text_encoders.base_word_text_encoder.print_log',
        lambda msg, **kw: logged.append(msg))
    enc = GRUTextEncoder(
        vocab=['a', 'dog'], embed_dims=4, hidden_dims=6, max_words=5)
    ids, mask = enc.tokenize(['a dog', 'a purple dog'])
    assert ids.tolist() == [[2, 3, 0], [2, 1, 3]]
    assert mask.tolist() == [[True, True, False], [True, True, True]]
    assert enc.unknown_words['purple'] == 1
    long_query = ' '.join(['a dog'] * 200)
    for _ in range(3):  # the clips of one video carry the same query
        ids, mask = enc.tokenize(['a dog a dog a dog a dog', long_query])
    assert ids.shape == (2, 5) and mask.all()
    assert enc.truncated_queries == 6
    lines = [m for m in logged if 'cut to its first 5' in m]
    assert len(lines) == 2  # once per distinct query, the long one shortened
    assert len(lines[1]) < 300 and lines[1].count('a dog') < 30
    with pytest.raises(QueryTooShortError, match='no word'):
        enc.tokenize(['  ?! '])
    with pytest.raises(QueryTooShortError):
        enc.tokenize([''])


def test_gru_output_ignores_padding():
    torch.manual_seed(0)
    enc = GRUTextEncoder(
        vocab=['a', 'dog', 'cat'], embed_dims=4, hidden_dims=6)
    enc.init_weights()
    ids, mask = enc.tokenize(['a dog', 'a cat dog dog'])
    words, m = enc(ids, mask)
    assert words.shape == (2, 4, 6)
    assert (words[0, 2:] == 0).all()
    alone, _ = enc(*enc.tokenize(['a dog']))
    torch.testing.assert_close(words[0, :2], alone[0])


def test_vocabulary_travels_with_the_state_dict():
    trained = GRUTextEncoder(
        vocab=['a', 'dog', 'cat', 'bird'], embed_dims=4, hidden_dims=6)
    state = trained.state_dict()
    fresh = GRUTextEncoder(vocab=['x'], embed_dims=4, hidden_dims=6)
    fresh.load_state_dict(state)
    assert fresh.vocab.words == trained.vocab.words
    assert fresh.embedding.num_embeddings == 6
    ids, _ = fresh.tokenize(['a bird'])
    assert ids.tolist() == [[2, 5]]


def test_glove_initialisation_from_txt_and_zip(tmp_path):
    lines = 'dog 1 2 3 4\ncat 5 6 7 8\nzebra 0 0 0 1\n'
    txt = tmp_path / 'glove.txt'
    txt.write_text(lines)
    zpath = tmp_path / 'glove.zip'
    with zipfile.ZipFile(zpath, 'w') as zf:
        zf.writestr('glove.txt', lines)
    for path in (txt, zpath):
        enc = GRUTextEncoder(
            vocab=['dog', 'cat', 'owl'],
            embed_dims=4,
            hidden_dims=6,
            glove_file=str(path))
        enc.init_weights()
        torch.testing.assert_close(enc.embedding.weight[2],
                                   torch.tensor([1., 2., 3., 4.]))
        torch.testing.assert_close(enc.embedding.weight[3],
                                   torch.tensor([5., 6., 7., 8.]))
    bad = GRUTextEncoder(vocab=['dog'], embed_dims=3, glove_file=str(txt))
    with pytest.raises(ValueError, match='4-d vectors'):
        bad.init_weights()


def test_missing_vocab_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='vocabulary file'):
        GRUTextEncoder(vocab_file=str(tmp_path / 'nope.json'))


def test_vocab_from_checkpoint():
    with pytest.raises(ValueError, match='vocab_from_checkpoint'):
        GRUTextEncoder()
    enc = GRUTextEncoder(
        vocab_from_checkpoint=True, embed_dims=4, hidden_dims=6)
    with pytest.raises(RuntimeError, match='load the trained checkpoint'):
        enc.tokenize(['a dog'])
    trained = GRUTextEncoder(vocab=['a', 'dog'], embed_dims=4, hidden_dims=6)
    enc.load_state_dict(trained.state_dict())
    assert enc.tokenize(['a dog'])[0].tolist() == [[2, 3]]


def test_checkpoint_of_the_former_vocab_layout_loads():
    """GRUTextEncoder once wrote its words joined by newlines, without the
    final newline that both encoders write now."""
    trained = GRUTextEncoder(
        vocab=['a', 'dog', 'naïve'], embed_dims=4, hidden_dims=6)
    state = trained.state_dict()
    assert bytes(state['vocab_buffer'].tolist()).endswith(b'na\xc3\xafve\n')
    state['vocab_buffer'] = torch.tensor(
        list('\n'.join(trained.vocab.words).encode('utf-8')),
        dtype=torch.uint8)
    fresh = GRUTextEncoder(vocab=['x'], embed_dims=4, hidden_dims=6)
    fresh.load_state_dict(state)
    assert fresh.vocab.words == trained.vocab.words
    assert fresh.tokenize(['a naïve dog'])[0].tolist() == [[2, 4, 3]]


def test_vocab_buffer_comes_with_its_rows():
    trained = GRUTextEncoder(vocab=['a', 'dog'], embed_dims=4, hidden_dims=6)
    fresh = GRUTextEncoder(vocab=['x'], embed_dims=4, hidden_dims=6)
    state = trained.state_dict()
    del state['embedding.weight']
    with pytest.raises(ValueError, match='together'):
        fresh.load_state_dict(state, strict=False)
    state = trained.state_dict()
    state['embedding.weight'] = torch.zeros(3, 4)
    with pytest.raises(ValueError, match='4 words but its embedding.weight'):
        fresh.load_state_dict(state)
