import os

import pytest

# The shared fixtures (tiny_model, tiny_checkpoint, small_video, http_dir,
# synthetic_actor_tree) of the api / dataset / tool / utils / visualisation
# tests.
pytest_plugins = ['tests.helpers']

os.environ.setdefault('MPLBACKEND', 'Agg')

if os.environ.get('PYTEST_XDIST_WORKER'):
    # One intra-op thread per xdist worker: `-n 2` on 2 cores with 2 threads
    # each oversubscribes the CPU and slows everything many times over.
    import torch
    torch.set_num_threads(1)
else:
    # mmengine imports yapf, whose first import on a machine writes a grammar
    # cache (~/.cache/YAPF) without a lock: two xdist workers starting at once
    # can read each other's half-written file (EOFError at collection; seen
    # in CI). Write it here, in the controller, before the workers start.
    import yapf  # noqa: F401


@pytest.fixture(autouse=True, scope='session')
def _register_modules():
    from mmcsted.utils import register_all_modules
    register_all_modules()
