"""mmcsted: CSTED language-queried video actor segmentation for OpenMMLab."""
# Importing the package makes every mmengine checkpoint load in this process
# use ``weights_only=True`` with a narrow allow-list (see utils/checkpoint.py).
# ... and lets configs inherit mmaction2's base configs ('mmaction::...'),
# which one of mmaction2 1.1.0's metafiles keeps mmengine from finding
# (see utils/external_configs.py).
from .utils import checkpoint as _safe_checkpoint  # noqa: F401
from .utils import external_configs as _external_configs  # noqa: F401
from .version import __version__

__all__ = ['__version__']
