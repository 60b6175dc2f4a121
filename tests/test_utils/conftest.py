# Shared fixtures (tests/helpers.py).
from tests.helpers import http_dir  # noqa
