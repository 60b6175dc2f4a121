from .model_zoo import load_metafile, resolve_checkpoint

__all__ = ['resolve_checkpoint', 'load_metafile']
