import functools

import torch

COORD_CHANNELS = 8


@functools.lru_cache(maxsize=64)
def _coord_feature_cpu(height: int, width: int) -> torch.Tensor:
    # Cell (i, j) of an H x W grid spans [x0, x1] x [y0, y1] in [-1, 1].
    # Computed in float64 and rounded once to float32, with CSTM's
    # order of operations (w / W * 2 - 1, (x0 + x1) / 2, 1 / W): bit-equal to
    # its float32 array of Python-float values (utils/tool.py).
    xs = torch.arange(width, dtype=torch.float64)
    ys = torch.arange(height, dtype=torch.float64)
    x0, x1 = xs / width * 2 - 1, (xs + 1) / width * 2 - 1
    y0, y1 = ys / height * 2 - 1, (ys + 1) / height * 2 - 1

    def grid(v, axis):
        if axis == 'x':
            return v.view(1, -1).expand(height, width)
        return v.view(-1, 1).expand(height, width)

    return torch.stack([
        grid(x0, 'x'),
        grid(y0, 'y'),
        grid(x1, 'x'),
        grid(y1, 'y'),
        grid((x0 + x1) / 2, 'x'),
        grid((y0 + y1) / 2, 'y'),
        torch.full((height, width), 1. / width, dtype=torch.float64),
        torch.full((height, width), 1. / height, dtype=torch.float64)
    ]).to(torch.float32)


@functools.lru_cache(maxsize=64)
def coord_feature(height: int,
                  width: int,
                  device=None,
                  dtype=torch.float32) -> torch.Tensor:
    """The 8-channel coordinate feature (8, H, W): xmin, ymin, xmax, ymax,
    xctr, yctr of each cell in [-1, 1] coordinates, then 1/W and 1/H.

    Cached per device (read-only): a copy to the GPU at every CMAM call
    was a host-to-device transfer per stage and forward."""
    return _coord_feature_cpu(height, width).to(device=device, dtype=dtype)


@functools.lru_cache(maxsize=64)
def coord_feature_sum(height: int,
                      width: int,
                      device=None,
                      dtype=torch.float32) -> torch.Tensor:
    """The coordinate feature summed over the H x W cells (8,)."""
    return _coord_feature_cpu(height, width).double().flatten(1).sum(1).to(
        device=device, dtype=dtype)
