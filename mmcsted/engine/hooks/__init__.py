from .checkpoint_hook import AtomicCheckpointHook, AtomicLocalBackend
from .visualization_hook import ActorSegVisualizationHook

__all__ = [
    'ActorSegVisualizationHook', 'AtomicCheckpointHook', 'AtomicLocalBackend'
]
