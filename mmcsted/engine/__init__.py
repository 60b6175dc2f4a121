# Importing the hooks registers them in mmcsted.registry.HOOKS.
from .hooks import (ActorSegVisualizationHook, AtomicCheckpointHook,
                    AtomicLocalBackend, ChannelsLastHook)

__all__ = [
    'ActorSegVisualizationHook', 'AtomicCheckpointHook', 'AtomicLocalBackend',
    'ChannelsLastHook'
]
