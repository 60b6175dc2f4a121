# Importing the hooks registers them in mmcsted.registry.HOOKS.
from .hooks import (ActorSegVisualizationHook, AtomicCheckpointHook,
                    AtomicLocalBackend)

__all__ = [
    'ActorSegVisualizationHook', 'AtomicCheckpointHook', 'AtomicLocalBackend'
]
