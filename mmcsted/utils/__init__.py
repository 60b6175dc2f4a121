from .checkpoint import (CheckpointDownloadError, CheckpointHashError,
                         allow_mmengine_checkpoint_types,
                         check_checkpoint_fits, download_checkpoint,
                         load_weights, sha256_prefix_from_filename)
from .setup_env import install_stack_workarounds, register_all_modules

__all__ = [
    'register_all_modules', 'install_stack_workarounds', 'load_weights',
    'download_checkpoint', 'CheckpointHashError', 'CheckpointDownloadError',
    'sha256_prefix_from_filename', 'allow_mmengine_checkpoint_types',
    'check_checkpoint_fits'
]
