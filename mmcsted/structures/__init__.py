from .actor_seg_data_sample import ActorSegDataSample

__all__ = ['ActorSegDataSample']
