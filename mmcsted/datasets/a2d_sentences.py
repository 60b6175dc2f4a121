"""A2D Sentences, kept importable under its old name: the code lives in
:mod:`mmcsted.datasets.a2d`, split by job (configs, tools and user code import
these names from here)."""
from .a2d import *  # noqa: F401,F403
from .a2d import _H5_NAME  # noqa: F401
from .a2d import __all__  # noqa: F401
