"""mmcsted: CSTED language-queried video actor segmentation for OpenMMLab."""
# Importing the package makes every mmengine checkpoint load in this process use
# ``weights_only=True`` with a narrow allow-list (see utils/checkpoint.py).
from .utils import checkpoint as _safe_checkpoint  # noqa: F401
from .version import __version__

__all__ = ['__version__']
