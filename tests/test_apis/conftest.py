# Shared fixtures of the api / tool / visualisation tests (tests/helpers.py).
from tests.helpers import (
    http_dir,
    small_video,
    tiny_checkpoint,  # noqa
    tiny_model)
