"""Model-zoo names (``configs/csted/metafile.yml``), URLs and local paths
of configs and checkpoints; where they are read from: docs/get_started.md,
"The model zoo"."""
import os
import os.path as osp
from typing import Dict, Optional

from mmcsted.utils.checkpoint import download_checkpoint

PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))

CHECKOUT_FILES = ('setup.py', 'model-index.yml', 'configs')


def config_root() -> str:
    """The folder that holds ``configs/`` and ``model-index.yml``: the source
    checkout around the package, else ``mmcsted/.mim`` when it has them (an
    installed package), else the package's parent folder."""
    checkout = osp.dirname(PACKAGE_DIR)
    if all(osp.exists(osp.join(checkout, name)) for name in CHECKOUT_FILES):
        return checkout
    mim_dir = osp.join(PACKAGE_DIR, '.mim')
    if osp.isdir(osp.join(mim_dir, 'configs')):
        return mim_dir
    return checkout


def resolve_config(config: str) -> str:
    """A config file for a path, a path relative to the configs' root
    (``configs/csted/...``, as the metafile and the docs write them) or a
    model-zoo name."""
    if osp.isfile(config):
        return config
    packaged = osp.join(config_root(), config)
    if osp.isfile(packaged):
        return packaged
    models = load_metafile()
    if config in models:
        return osp.join(config_root(), models[config]['Config'])
    raise FileNotFoundError(f'{config} is neither a config file, a path under '
                            f'{config_root()} nor a model-zoo name')


def _local_weights(weights: str) -> Optional[str]:
    """A relative ``Weights`` path: from the working directory (where the
    main job writes it), else from the source checkout."""
    if osp.isabs(weights):
        return weights if osp.isfile(weights) else None
    for root in (os.getcwd(), osp.dirname(PACKAGE_DIR)):
        if osp.isfile(osp.join(root, weights)):
            return osp.join(root, weights)
    return None


def load_metafile(path: Optional[str] = None) -> Dict[str, dict]:
    """``{model name: entry}`` of a metafile (empty if there is none);
    mmcsted's own by default."""
    path = path or osp.join(config_root(), 'configs', 'csted', 'metafile.yml')
    if not osp.isfile(path):
        return {}
    import yaml
    with open(path, encoding='utf-8') as f:
        meta = yaml.safe_load(f) or {}
    return {m['Name']: m for m in meta.get('Models', [])}


def resolve_checkpoint(checkpoint: str,
                       metafile: Optional[str] = None,
                       sha256: Optional[str] = None) -> str:
    """A local path for a path, an http(s) URL or a model-zoo name."""
    if checkpoint.startswith(('http://', 'https://')):
        return download_checkpoint(checkpoint, sha256=sha256)
    if osp.isfile(checkpoint):
        return checkpoint
    models = load_metafile(metafile)
    if checkpoint in models:
        entry = models[checkpoint]
        weights = entry.get('Weights')
        if not weights:
            raise FileNotFoundError(
                f'zoo model {checkpoint} has no published weights yet')
        if not weights.startswith(('http://', 'https://')):
            local = _local_weights(weights)
            if local is None:
                raise FileNotFoundError(
                    f'zoo model {checkpoint}: {weights} not found (produce '
                    'it with the main job, python '
                    'tools/run_synthetic_benchmark.py)')
            return local
        return download_checkpoint(weights, sha256=sha256 or entry.get('Hash'))
    hint = f'; zoo models: {", ".join(sorted(models))}' if models else ''
    raise FileNotFoundError(
        f'{checkpoint} is neither a file, a URL nor a model-zoo name{hint}')
