"""The mask losses against values computed by hand."""
import math

import pytest
import torch

from mmcsted.models.losses import MaskBCELoss
from mmcsted.registry import MODELS


def _sigmoid(x):
    return 1 / (1 + math.exp(-x))


def test_bce_matches_the_formula():
    logits = torch.tensor([[[0.0, 2.0], [-1.0, 3.0]]])
    target = torch.tensor([[[1, 0], [0, 1]]])
    # -[y log p + (1 - y) log(1 - p)] per pixel, then the mean
    expected = (-math.log(0.5) - math.log(1 - _sigmoid(2.0)) -
                math.log(1 - _sigmoid(-1.0)) - math.log(_sigmoid(3.0))) / 4
    loss = MaskBCELoss()(logits, target)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_bce_averages_over_valid_pixels_only():
    logits = torch.tensor([[[0.0, 2.0], [-1.0, 3.0]]])
    target = torch.tensor([[[1, 0], [0, 1]]])
    valid = torch.tensor([[[1, 1], [0, 0]]])
    expected = (-math.log(0.5) - math.log(1 - _sigmoid(2.0))) / 2
    loss = MaskBCELoss()(logits, target, valid)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    # no valid pixel: 0, not a division by zero
    assert MaskBCELoss()(logits, target, torch.zeros_like(valid)).item() == 0


def test_bce_pos_weight_and_loss_weight():
    logits = torch.tensor([[0.0, 0.0]])
    target = torch.tensor([[1, 0]])
    # the positive pixel's term is scaled by pos_weight
    expected = 0.5 * (3.0 * math.log(2) + math.log(2)) / 2
    loss = MaskBCELoss(loss_weight=0.5, pos_weight=3.0)(logits, target)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_losses_build_from_the_registry_with_their_names():
    bce = MODELS.build(dict(type='MaskBCELoss', loss_weight=2.))
    pos = MODELS.build(
        dict(type='MaskBCELoss', pos_weight=3., loss_name='loss_bce_pos'))
    assert (bce.loss_name, bce.loss_weight) == ('loss_bce', 2.)
    assert (pos.loss_name, pos.pos_weight) == ('loss_bce_pos', 3.)


def test_loss_decreases_under_gradient_descent():
    torch.manual_seed(0)
    target = (torch.rand(2, 8, 8) > 0.5).long()
    logits = torch.zeros(2, 8, 8, requires_grad=True)
    opt = torch.optim.SGD([logits], lr=5.)
    bce = MaskBCELoss()
    losses = []
    for _ in range(5):
        loss = bce(logits, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(b < a for a, b in zip(losses, losses[1:]))
