"""Model-zoo names, URLs and local paths of checkpoints.

``configs/csted/metafile.yml`` (OpenMMLab format) lists the released models; a
model can be named there, given by URL or by path. Downloads go to the torch hub
cache with a progress bar and are verified against the hash in the file name or
the metafile's ``Hash`` (SHA-256, full or prefix) before use.
"""
import os.path as osp
from typing import Dict, Optional

from mmcsted.utils.checkpoint import download_checkpoint

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
METAFILE = osp.join(REPO_ROOT, 'configs', 'csted', 'metafile.yml')


def load_metafile(path: str = METAFILE) -> Dict[str, dict]:
    """``{model name: entry}`` of a metafile (empty if there is none)."""
    if not osp.isfile(path):
        return {}
    import yaml
    with open(path, encoding='utf-8') as f:
        meta = yaml.safe_load(f) or {}
    return {m['Name']: m for m in meta.get('Models', [])}


def resolve_checkpoint(checkpoint: str,
                       metafile: str = METAFILE,
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
                f'zoo model {checkpoint} has no released weights yet')
        if not weights.startswith(('http://', 'https://')):
            weights = osp.join(REPO_ROOT, weights) \
                if not osp.isabs(weights) else weights
            if not osp.isfile(weights):
                raise FileNotFoundError(
                    f'zoo model {checkpoint}: {weights} not found (produce '
                    'it with the quick-start command)')
            return weights
        return download_checkpoint(weights, sha256=sha256 or entry.get(
            'Hash'))
    hint = f'; zoo models: {", ".join(sorted(models))}' if models else ''
    raise FileNotFoundError(
        f'{checkpoint} is neither a file, a URL nor a model-zoo name{hint}')
