from .channels_last_hook import ChannelsLastHook
from .checkpoint_hook import AtomicCheckpointHook, AtomicLocalBackend
from .visualization_hook import ActorSegVisualizationHook

__all__ = [
    'ActorSegVisualizationHook', 'AtomicCheckpointHook', 'AtomicLocalBackend',
    'ChannelsLastHook'
]
