from typing import Any, Iterable

import numpy as np
import torch


def check_choice(name: str, value: Any, choices: Iterable) -> None:
    """Raise ``ValueError`` naming the argument and its allowed values
    unless ``value`` is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f'{name} must be one of {choices}, got {value!r}')


def as_2d_tensor(data: Any, name: str) -> torch.Tensor:
    """A (1, H, W) or (H, W) tensor / array as a CPU (H, W) tensor."""
    if isinstance(data, np.ndarray):
        data = torch.from_numpy(data)
    if not isinstance(data, torch.Tensor):
        raise TypeError(f'`{name}` must be a tensor or an array, '
                        f'got {type(data)}')
    data = data.detach().cpu()
    if data.dim() == 3 and data.shape[0] == 1:
        data = data[0]
    if data.dim() != 2:
        raise ValueError(f'`{name}` must have shape (1, H, W) or (H, W), '
                         f'got {tuple(data.shape)}')
    return data
