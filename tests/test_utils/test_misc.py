import pytest

from mmcsted.utils.misc import check_choice


def test_check_choice_names_the_argument_and_its_values():
    check_choice('mode', 'cstm', ('centred', 'cstm'))
    with pytest.raises(ValueError) as err:
        check_choice('mode', 'x', ['centred', 'cstm'])
    assert str(err.value) == "mode must be one of ('centred', 'cstm'), got 'x'"
