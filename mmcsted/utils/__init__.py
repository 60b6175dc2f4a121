from .checkpoint import (CheckpointHashError, allow_mmengine_checkpoint_types,
                         download_checkpoint, load_weights,
                         sha256_prefix_from_filename)
from .launch import setup_cpu_distributed, shutdown_distributed
from .setup_env import register_all_modules

__all__ = [
    'register_all_modules', 'setup_cpu_distributed', 'shutdown_distributed', 'load_weights', 'download_checkpoint',
    'CheckpointHashError', 'sha256_prefix_from_filename',
    'allow_mmengine_checkpoint_types'
]
