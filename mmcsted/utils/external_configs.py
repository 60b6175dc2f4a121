"""Let configs inherit mmaction2's base configs (``'mmaction::...'``).

To find ``mmaction::<path>``, mmengine 0.10.7 first looks ``<path>`` up among
the ``Config`` entries of every metafile that the package's
``.mim/model-index.yml`` imports, and falls back to ``.mim/configs/<path>``
only on a ``ValueError``. mmaction2 1.1.0's ``localization/bsn/metafile.yml``
gives one model a *list* of configs, and mmengine's walk fails on it with an
``AttributeError`` before reaching the fallback, so no ``mmaction::`` path
loads. :func:`patch_external_config_lookup` (called by
``register_all_modules()``, never at import) turns that failure into
the ``ValueError`` that selects the fallback, which is where base configs
(``_base_/...``) always resolve and where every metafile ``Config`` lies.
Nothing else about the lookup changes.

mmengine's lookup also needs ``pkg_resources``, which setuptools >= 81 no
longer ships: setup.cfg pins ``setuptools<81`` for it.
"""
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
