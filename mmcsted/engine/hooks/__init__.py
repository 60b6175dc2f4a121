from .visualization_hook import ActorSegVisualizationHook

__all__ = ['ActorSegVisualizationHook']
