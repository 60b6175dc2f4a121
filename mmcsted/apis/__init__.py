from .inference import (VideoActorSegInferencer, VideoSegResult,
                        inference_video, init_model, iter_inference)
from .model_zoo import load_metafile, resolve_checkpoint, resolve_config

__all__ = [
    'resolve_checkpoint', 'resolve_config', 'load_metafile', 'init_model',
    'inference_video', 'iter_inference', 'VideoActorSegInferencer',
    'VideoSegResult'
]
