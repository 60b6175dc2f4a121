"""Let configs inherit mmaction2's base configs (``'mmaction::...'``): a
metafile that mmengine 0.10.7 cannot walk (a model with a list of configs)
selects its ``.mim/configs/<path>`` fallback instead of failing
(docs/get_started.md, "Configs inherit the stack's configs")."""
import functools

from mmengine.config import utils as _config_utils


def _tolerate_list_valued_configs(get_cfg_metainfo):

    @functools.wraps(get_cfg_metainfo)
    def wrapper(package_path: str, cfg_path: str) -> dict:
        try:
            return get_cfg_metainfo(package_path, cfg_path)
        except (AttributeError, TypeError) as e:
            raise ValueError(
                f'a metafile of {package_path} is not readable by mmengine '
                f'({e}); looking {cfg_path} up under .mim/configs') from e

    wrapper._mmcsted_patched = True
    return wrapper


def patch_external_config_lookup() -> None:
    """Install the fallback (idempotent)."""
    current = _config_utils._get_cfg_metainfo
    if not getattr(current, '_mmcsted_patched', False):
        _config_utils._get_cfg_metainfo = \
            _tolerate_list_valued_configs(current)
