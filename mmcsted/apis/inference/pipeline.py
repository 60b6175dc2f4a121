"""The test pipeline of a model's config, as inference runs it: loading
replaced by the frame cache (docs/get_started.md, "Inference from
Python")."""
import copy
from dataclasses import dataclass
from typing import List, Optional

import torch.nn as nn
from mmcv.transforms import BaseTransform

from mmcsted.datasets.clip_sampling import CLIP_MODES
from mmcsted.datasets.transforms.loading import DataLoadError, fill_clip
from mmcsted.registry import TRANSFORMS

DEFAULT_INPUT_SIZE = 320
#: ``resize=`` override of :func:`inference_pipeline`: transform type
RESIZE_NAMES = dict(pad_square='ResizePadSquare', stretch='ResizeStretch')
#: the resizes act on each frame of a clip alone, the same way whatever the
#: clip: the frame cache runs them once per frame
RESIZE_TRANSFORMS = tuple(RESIZE_NAMES.values())
#: the keyword arguments of :func:`inference_pipeline` that override the
#: config's test pipeline
PIPELINE_ARGS = ('input_size', 'clip_len', 'frame_interval', 'clip_mode',
                 'resize', 'resize_backend', 'image_backend')


@TRANSFORMS.register_module()
class ClipFromFrameCache(BaseTransform):
    """The clip's frames from ``frame_cache`` (0-based index -> frame), decoded
    beforehand by the inference's streaming; :func:`inference_pipeline` puts
    it in place of ``VideoInit`` / ``VideoDecode``.
    """

    def transform(self, results: dict) -> dict:
        cache = results.pop('frame_cache')
        imgs = [cache[int(f) - 1] for f in results['frame_inds']]
        return fill_clip(results, imgs, self._fail)

    @staticmethod
    def _fail(results: dict, msg: str):
        raise DataLoadError(msg)


def type_name(transform: dict) -> str:
    return str(transform.get('type', '')).split('.')[-1]


def default_test_pipeline(clip_len: int = 8) -> List[dict]:
    """The test pipeline of a model without a config: centred clips of
    ``clip_len`` frames, resized and padded to 320 x 320."""
    return [
        dict(type='VideoInit'),
        dict(type='SampleClipAroundFrame', clip_len=clip_len),
        dict(type='VideoDecode'),
        dict(type='ResizePadSquare', size=DEFAULT_INPUT_SIZE),
        dict(type='PackActorSegInputs'),
    ]


def config_test_pipeline(model: nn.Module) -> List[dict]:
    """A copy of the test pipeline of ``model.cfg``;
    :func:`default_test_pipeline` for a model without a config."""
    cfg = getattr(model, 'cfg', None)
    if cfg is not None:
        for key in ('test_dataloader', 'val_dataloader'):
            dataset = (cfg.get(key) or {}).get('dataset') or {}
            if dataset.get('pipeline'):
                return copy.deepcopy(list(dataset['pipeline']))
        if cfg.get('test_pipeline'):
            return copy.deepcopy(list(cfg.test_pipeline))
    return default_test_pipeline(int(getattr(model, 'clip_len', 8)))


@dataclass
class InferencePipeline:
    """The transforms inference runs on each clip, and how the frames they
    take are read (``image_backend`` and ``backend_args`` of the config's
    ``VideoDecode`` / ``VideoInit``)."""
    transforms: List[dict]
    image_backend: str = 'cv2'
    backend_args: Optional[dict] = None

    def find(self, name: str) -> Optional[dict]:
        return next((t for t in self.transforms if type_name(t) == name), None)


def _set_resize(pipeline: List[dict], input_size, resize, resize_backend):
    pos = [
        i for i, t in enumerate(pipeline) if type_name(t) in RESIZE_TRANSFORMS
    ]
    if not pos:
        raise ValueError('the test pipeline has no ResizePadSquare or '
                         'ResizeStretch: inference needs one')
    old = pipeline[pos[0]]
    if resize is not None:
        if resize not in RESIZE_NAMES:
            raise ValueError(f"resize must be 'pad_square' or 'stretch', got "
                             f'{resize!r}')
        if type_name(old) != RESIZE_NAMES[resize]:
            old = dict(
                type=RESIZE_NAMES[resize],
                size=old.get('size', 320),
                interpolation=old.get('interpolation', 'bilinear'))
    if input_size is not None:
        old['size'] = int(input_size)
    if resize_backend is not None and type_name(old) == 'ResizeStretch':
        old['backend'] = resize_backend
    pipeline[pos[0]] = old


def inference_pipeline(
        model: nn.Module,
        input_size: Optional[int] = None,
        clip_len: Optional[int] = None,
        frame_interval: Optional[int] = None,
        clip_mode: Optional[str] = None,
        resize: Optional[str] = None,
        resize_backend: Optional[str] = None,
        image_backend: Optional[str] = None) -> InferencePipeline:
    """The config's test pipeline made ready for inference, with the
    non-None arguments overriding its settings: ``input_size`` (the resize's
    ``size``), ``clip_len`` / ``frame_interval`` / ``clip_mode``
    (``SampleClipAroundFrame``'s ``mode``), ``resize`` (``'pad_square'``:
    ``ResizePadSquare``, ``'stretch'``: ``ResizeStretch``), ``resize_backend``
    (``ResizeStretch``'s ``backend``), ``image_backend`` (how a folder's
    images are decoded, ``VideoDecode``'s)."""
    pipeline = config_test_pipeline(model)
    names = [type_name(t) for t in pipeline]
    for needed in ('SampleClipAroundFrame', 'VideoDecode'):
        if needed not in names:
            raise ValueError(f'the test pipeline has no {needed} ({names}): '
                             'inference runs clips around frames')
    sample = pipeline[names.index('SampleClipAroundFrame')]
    overrides = dict(
        clip_len=clip_len, frame_interval=frame_interval, mode=clip_mode)
    sample.update({k: v for k, v in overrides.items() if v is not None})
    if sample.get('mode', 'centred') not in CLIP_MODES:
        raise ValueError(f'clip_mode must be one of {CLIP_MODES}, got '
                         f'{sample["mode"]!r}')
    _set_resize(pipeline, input_size, resize, resize_backend)
    decode = pipeline[names.index('VideoDecode')]
    init = pipeline[names.index('VideoInit')] if 'VideoInit' in names \
        else {}
    transforms = [
        dict(type='ClipFromFrameCache') if type_name(t) == 'VideoDecode' else t
        for t in pipeline if type_name(t) not in ('VideoInit', 'LoadActorMask')
    ]
    return InferencePipeline(
        transforms,
        image_backend=image_backend or decode.get('image_backend', 'cv2'),
        backend_args=decode.get('backend_args', init.get('backend_args')))


def check_query(query: str) -> str:
    from mmcsted.text import check_has_words
    return check_has_words(query)
