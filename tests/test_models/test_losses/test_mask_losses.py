"""The mask losses against values computed by hand."""
import math

import pytest
import torch

from mmcsted.models.losses import MaskBCELoss, MaskDiceLoss
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


def test_dice_matches_the_formula_per_sample():
    logits = torch.tensor([[[0.0, 0.0]], [[20.0, -20.0]]])
    target = torch.tensor([[[1, 0]], [[1, 0]]])
    # sample 0: p = (.5, .5): 1 - (2 * .5 + 1) / (1 + 1 + 1) = 1/3
    # sample 1: p ~ (1, 0), a perfect prediction: ~0
    p1, p0 = _sigmoid(20.0), _sigmoid(-20.0)
    dice1 = 1 - (2 * p1 + 1) / (p1 + p0 + 1 + 1)
    expected = (1 / 3 + dice1) / 2
    loss = MaskDiceLoss()(logits, target)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert MaskDiceLoss(loss_weight=2.)(logits, target).item() == \
        pytest.approx(2 * expected, rel=1e-6)


def test_dice_ignores_predictions_on_padding():
    logits = torch.tensor([[[0.0, 5.0]]])
    target = torch.tensor([[[1, 0]]])
    valid = torch.tensor([[[1, 0]]])
    # the padded pixel's p ~ 1 does not count: 1 - (2 * .5 + 1) / (.5 + 1 + 1)
    loss = MaskDiceLoss()(logits, target, valid)
    assert loss.item() == pytest.approx(1 - 2 / 2.5, rel=1e-6)


def test_losses_build_from_the_registry_with_their_names():
    bce = MODELS.build(dict(type='MaskBCELoss', loss_weight=2.))
    dice = MODELS.build(dict(type='MaskDiceLoss', smooth=0.5))
    assert (bce.loss_name, bce.loss_weight) == ('loss_bce', 2.)
    assert (dice.loss_name, dice.smooth) == ('loss_dice', 0.5)


def test_loss_decreases_under_gradient_descent():
    torch.manual_seed(0)
    target = (torch.rand(2, 8, 8) > 0.5).long()
    logits = torch.zeros(2, 8, 8, requires_grad=True)
    opt = torch.optim.SGD([logits], lr=5.)
    bce, dice = MaskBCELoss(), MaskDiceLoss()
    losses = []
    for _ in range(5):
        loss = bce(logits, target) + dice(logits, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(b < a for a, b in zip(losses, losses[1:]))
