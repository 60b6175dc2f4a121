# Importing the hooks and the optimizer wrapper registers them in
# mmcsted.registry.
from .hooks import (ActorSegVisualizationHook, AtomicCheckpointHook,
                    AtomicLocalBackend, ChannelsLastHook)
from .optimizers import BF16OptimWrapper

__all__ = [
    'ActorSegVisualizationHook', 'AtomicCheckpointHook', 'AtomicLocalBackend',
    'BF16OptimWrapper', 'ChannelsLastHook'
]
