from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from mmcsted.engine.hooks import ChannelsLastHook
from mmcsted.registry import HOOKS


class TwoConvs(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv2d = nn.Conv2d(3, 4, 3, padding=1)
        self.conv3d = nn.Conv3d(3, 4, 3, padding=1)

    def forward(self, frame, clip):
        return self.conv2d(frame).sum() + self.conv3d(clip).sum()


def _runner(fused: bool):
    torch.manual_seed(0)
    model = TwoConvs()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, fused=fused)
    return SimpleNamespace(
        model=model, optim_wrapper=OptimWrapper(optimizer=optimizer))


def _adam_steps(runner, inputs, steps: int):
    for _ in range(steps):
        runner.optim_wrapper.update_params(runner.model(*inputs))


def test_registered_and_converts_for_every_loop():
    assert HOOKS.get('ChannelsLastHook') is ChannelsLastHook
    for stage in ('before_train', 'before_val', 'before_test'):
        runner = _runner(fused=False)
        getattr(ChannelsLastHook(), stage)(runner)
        assert runner.model.conv2d.weight.is_contiguous(
            memory_format=torch.channels_last)
        assert runner.model.conv3d.weight.is_contiguous(
            memory_format=torch.channels_last_3d)


@pytest.mark.parametrize('fused', [False, True])
def test_resumed_training_matches_the_default_order(fused):
    """Two Adam steps, a 'resume' (optimizer state in the default order),
    the hook, two more steps: the same weights as four steps without it."""
    inputs = (torch.randn(2, 3, 6, 6), torch.randn(2, 3, 4, 6, 6))
    reference = _runner(fused=False)
    _adam_steps(reference, inputs, 4)

    runner = _runner(fused=fused)
    _adam_steps(runner, inputs, 2)
    ChannelsLastHook().before_train(runner)
    state = runner.optim_wrapper.optimizer.state
    weight = runner.model.conv3d.weight
    assert state[weight]['exp_avg'].stride() == weight.stride()
    _adam_steps(runner, inputs, 2)
    for got, want in zip(runner.model.parameters(),
                         reference.model.parameters()):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
