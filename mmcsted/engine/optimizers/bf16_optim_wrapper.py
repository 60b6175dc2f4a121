import logging
from contextlib import contextmanager

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

from mmcsted.registry import OPTIM_WRAPPERS


def cpu_has_native_bf16() -> bool:
    """Whether this CPU has bfloat16 instructions (AVX512-BF16 or AMX)."""
    checks = ('_is_avx512_bf16_supported', '_is_amx_tile_supported')
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


@OPTIM_WRAPPERS.register_module()
class BF16OptimWrapper(OptimWrapper):
    """Forward and loss under bfloat16 autocast on the model's device, the
    CPU included (mmengine's ``AmpOptimWrapper`` asserts a GPU).

    bfloat16 keeps float32's exponent range, so the loss is not scaled; the
    parameters, their gradients and the optimizer state stay float32.

    Args:
        native_only (bool): on a CPU without bfloat16 instructions, train in
            float32 instead (with a warning): there oneDNN emulates bfloat16,
            1.7 (AVX-512) to 26 (AVX2) times slower than float32
            (docs/synthetic_benchmark.md). Defaults to True.
    """

    def __init__(self, *args, native_only: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.native_only = native_only
        self.autocast_enabled = None  # decided at the first step

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        device = next(model.parameters()).device.type
        if self.autocast_enabled is None:
            self.autocast_enabled = not (device == 'cpu' and self.native_only
                                         and not cpu_has_native_bf16())
            if self.autocast_enabled:
                print_log(
                    'BF16OptimWrapper: training under bfloat16 autocast',
                    logger='current')
            else:
                print_log(
                    'BF16OptimWrapper: this CPU has no bfloat16 '
                    'instructions; training in float32',
                    logger='current',
                    level=logging.WARNING)
        with super().optim_context(model), torch.autocast(
                device, torch.bfloat16, enabled=self.autocast_enabled):
            yield
