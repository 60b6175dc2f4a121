import pytest

from mmcsted.text import WordVocabulary, split_words


def test_split_words_normalises():
    assert split_words('The man\'s  red T-shirt, on the LEFT!') == [
        'the', "man's", 'red', 't-shirt', 'on', 'the', 'left'
    ]


def test_split_words_keeps_accented_letters():
    # letters with diacritics were dropped: 'naïve café' -> na, ve, caf
    assert split_words('Naïve café, São-Paulo') == [
        'naïve', 'café', 'são-paulo'
    ]
    # a combining accent (e + U+0301) is composed first, not a word break
    assert split_words('cafe\u0301 au lait') == ['café', 'au', 'lait']
    assert split_words('snake_case 2nd') == ['snake', 'case', '2nd']


def test_vocabulary_build_and_dump_read_by_the_encoders(tmp_path):
    from mmcsted.models.text_encoders import GRUTextEncoder
    v = WordVocabulary.build(['a dog', 'a cat', 'the dog'])
    assert v.words[:2] == ['<pad>', '<unk>']
    assert v.words[2:4] == ['a', 'dog']  # most frequent first
    path = tmp_path / 'vocab.json'
    path.write_text(v.to_json(), encoding='utf-8')
    encoder = GRUTextEncoder(vocab_file=str(path), embed_dims=4, hidden_dims=6)
    assert encoder.configured_words == v.words
    path.write_text('{"a": 1}')
    with pytest.raises(ValueError, match='JSON list'):
        GRUTextEncoder(vocab_file=str(path))


def test_one_rule_for_a_query_without_a_word():
    from mmcsted.text import QueryTooShortError, check_has_words, has_words
    for query in ('', '   ', '?!... --', '\t"\'\n', None, 3):
        assert not has_words(query)
    assert has_words('a dog') and has_words('?! the man --')
    assert check_has_words('a dog') == 'a dog'
    with pytest.raises(
            QueryTooShortError,
            match=r"empty query '\?!\.\.\. "
            r"--': it has no word"):
        check_has_words('?!... --')
    with pytest.raises(TypeError, match='must be a string'):
        check_has_words(None)
