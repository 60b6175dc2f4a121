import os

import pytest

os.environ.setdefault('MPLBACKEND', 'Agg')


@pytest.fixture(autouse=True, scope='session')
def _register_modules():
    from mmcsted.utils import register_all_modules
    register_all_modules()
