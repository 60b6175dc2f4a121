"""Registries of mmcsted: children of the mmengine roots, scope ``mmcsted``.

Each registry names the package where its modules live (``locations``) so that
a config with ``default_scope='mmcsted'`` builds them without an explicit
import.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import \
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

LOOPS = Registry('loop', parent=MMENGINE_LOOPS, locations=['mmcsted.engine'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['mmcsted.engine'])

DATASETS = Registry(
    'dataset', parent=MMENGINE_DATASETS, locations=['mmcsted.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=MMENGINE_DATA_SAMPLERS,
    locations=['mmcsted.datasets'])
TRANSFORMS = Registry(
    'transform',
    parent=MMENGINE_TRANSFORMS,
    # ClipFromFrameCache lives with the inference that uses it
    locations=[
        'mmcsted.datasets.transforms', 'mmcsted.apis.inference.pipeline'
    ])

MODELS = Registry(
    'model', parent=MMENGINE_MODELS, locations=['mmcsted.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=MMENGINE_MODEL_WRAPPERS,
    locations=['mmcsted.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer',
    parent=MMENGINE_WEIGHT_INITIALIZERS,
    locations=['mmcsted.models'])

OPTIMIZERS = Registry(
    'optimizer', parent=MMENGINE_OPTIMIZERS, locations=['mmcsted.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper',
    parent=MMENGINE_OPTIM_WRAPPERS,
    locations=['mmcsted.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['mmcsted.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=MMENGINE_PARAM_SCHEDULERS,
    locations=['mmcsted.engine'])

METRICS = Registry(
    'metric', parent=MMENGINE_METRICS, locations=['mmcsted.evaluation'])
EVALUATOR = Registry(
    'evaluator', parent=MMENGINE_EVALUATOR, locations=['mmcsted.evaluation'])

VISUALIZERS = Registry(
    'visualizer',
    parent=MMENGINE_VISUALIZERS,
    locations=['mmcsted.visualization'])
VISBACKENDS = Registry(
    'vis_backend',
    parent=MMENGINE_VISBACKENDS,
    locations=['mmcsted.visualization'])

INFERENCERS = Registry(
    'inferencer', parent=MMENGINE_INFERENCERS, locations=['mmcsted.apis'])
# Nothing of ours is registered here (the collate functions are mmengine's):
# the scope alone lets BaseInferencer look up ``collate_fn`` under
# ``mmcsted`` without mmengine's "Failed to search registry" warning.
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS)
