# Importing the hooks registers them in mmcsted.registry.HOOKS.
from .hooks import ActorSegVisualizationHook

__all__ = ['ActorSegVisualizationHook']
