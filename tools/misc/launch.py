"""Distributed launch on CPU-only machines for tools/train.py and
tools/test.py."""
import os

import torch
import torch.distributed as dist
from mmengine.config import Config


def setup_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Let mmengine's pytorch launcher run on CPU-only machines (gloo).

    mmengine initialises the process group through ``torch.cuda.set_device``
    and wraps the model in DDP with ``device_ids=[LOCAL_RANK]``; neither works
    without a GPU. Here the gloo process group is initialised first (mmengine
    then reuses it) and DDP gets ``device_ids=None``. Nothing changes when CUDA
    is available.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise RuntimeError(f'launcher {launcher!r} on a machine without CUDA: '
                           'only torchrun (--launcher pytorch) runs on CPUs')
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    if not dist.is_initialized():
        dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']))
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


def shutdown_distributed() -> None:
    """Destroy the process group before the interpreter exits: a gloo group
    left to process teardown can abort ("terminate called without an active
    exception") after the work is done, failing the torchrun job."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
