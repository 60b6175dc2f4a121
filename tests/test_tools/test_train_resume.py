"""``tools/train.py --resume`` without a path: the newest checkpoint of the
work dir that loads."""
import pytest
import torch

from tools.train import find_resumable_checkpoint
from ..test_utils.test_checkpoint import _runner


def test_auto_resume_falls_back_past_a_truncated_checkpoint(tmp_path):
    _runner(tmp_path, max_epochs=2).train()
    last = tmp_path / 'epoch_2.pth'
    assert open(tmp_path / 'last_checkpoint').read().strip() == str(last)
    assert find_resumable_checkpoint(str(tmp_path)) == (str(last), [])
    data = last.read_bytes()
    last.write_bytes(data[:len(data) // 2])  # a run killed while saving
    path, skipped = find_resumable_checkpoint(str(tmp_path))
    assert path == str(tmp_path / 'epoch_1.pth')
    assert [p for p, _ in skipped] == [str(last)]
    assert 'RuntimeError' in skipped[0][1]
    # the fallback resumes: epoch 2 is trained again from epoch 1
    runner = _runner(tmp_path, max_epochs=2, resume=True, load_from=path)
    runner.train()
    assert runner.epoch == 2
    assert len((tmp_path / 'epoch_2.pth').read_bytes()) > len(data) // 2


def test_auto_resume_with_nothing_loadable_is_a_clear_error(tmp_path):
    assert find_resumable_checkpoint(str(tmp_path)) == (None, [])
    (tmp_path / 'epoch_1.pth').write_bytes(b'PK\x03\x04broken')
    torch.save({'w': torch.zeros(1)}, tmp_path / 'iter_5.pth')
    with pytest.raises(RuntimeError, match='can be resumed from') as info:
        find_resumable_checkpoint(str(tmp_path))
    msg = str(info.value)
    # newest (highest number) first, each with its reason
    assert msg.index('iter_5.pth') < msg.index('epoch_1.pth')
    assert 'not a training checkpoint' in msg
