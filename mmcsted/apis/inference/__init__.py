"""Inference of a CSTED model on whole videos, by job: building the model
(:mod:`.model`), the config's test pipeline made ready for inference
(:mod:`.pipeline`), clips streamed from one frame source through a bounded
frame cache (:mod:`.streaming`) and the inferencer that runs the model on
them (:mod:`.inferencer`)."""
from .inferencer import (VideoActorSegInferencer, VideoSegResult,
                         inference_video, iter_inference)
from .model import init_model, vocab_from_checkpoint_if_missing
from .pipeline import (InferencePipeline, check_query, config_test_pipeline,
                       inference_pipeline)
from .streaming import MIN_SHORT_SIDE, ClipItem, ClipStream

__all__ = [
    'init_model', 'vocab_from_checkpoint_if_missing', 'InferencePipeline',
    'check_query', 'config_test_pipeline', 'inference_pipeline',
    'VideoActorSegInferencer', 'VideoSegResult', 'inference_video',
    'iter_inference', 'MIN_SHORT_SIDE', 'ClipItem', 'ClipStream'
]
