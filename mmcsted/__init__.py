"""mmcsted: CSTED language-queried video actor segmentation for OpenMMLab."""
# Importing the package changes nothing in other packages: what the project
# needs installed in mmengine is installed by
# ``mmcsted.utils.install_stack_workarounds()``, which the entry points call.
from .version import __version__

__all__ = ['__version__']
