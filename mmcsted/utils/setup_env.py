import datetime
import warnings

from mmengine import DefaultScope


def install_stack_workarounds() -> None:
    """Install in mmengine what the project needs of it (idempotent).

    ``import mmcsted`` changes nothing in other packages; the project's entry
    points (``register_all_modules()``, which the tools call, and
    ``init_model``) call this function. It installs:

    * safe checkpoint loaders for local files, http(s) URLs and
      ``package://`` files (:func:`mmcsted.utils.checkpoint.
      install_checkpoint_loaders`): torch >= 2.6 loads with
      ``weights_only=True``, which mmengine 0.10.7's own work-dir checkpoints
      (``HistoryBuffer``, numpy scalars) fail without an allow-list, and
      mmengine's http loader unpickles downloads with ``weights_only=False``;
    * the fallback that lets configs inherit ``mmaction::`` base configs
      (:func:`mmcsted.utils.external_configs.patch_external_config_lookup`):
      mmaction2 1.1.0's ``localization/bsn/metafile.yml`` gives a model a
      list of configs, on which mmengine 0.10.7's
      ``mmengine.config.utils._get_cfg_metainfo`` fails with an
      ``AttributeError`` before its ``.mim/configs`` fallback.
    * a filter for setuptools' ``pkg_resources`` deprecation warning, which
      mmengine 0.10.7 triggers on every package look-up
      (``mmengine.utils.package_utils`` imports ``pkg_resources``): only
      that warning (matched by its message).
    """
    from .checkpoint import install_checkpoint_loaders
    from .external_configs import patch_external_config_lookup
    warnings.filterwarnings(
        'ignore',
        message='pkg_resources is deprecated as an API',
        category=UserWarning)
    install_checkpoint_loaders()
    patch_external_config_lookup()


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmcsted module so that its registry entries exist, and
    :func:`install_stack_workarounds`.

    Args:
        init_default_scope: set the default scope to ``mmcsted`` so that
            configs without a scope prefix build mmcsted modules. If another
            scope is current, a new uniquely named ``mmcsted`` scope instance
            is created.
    """
    install_stack_workarounds()
    import mmcsted.datasets  # noqa: F401
    import mmcsted.engine  # noqa: F401
    import mmcsted.evaluation  # noqa: F401
    import mmcsted.models  # noqa: F401
    import mmcsted.visualization  # noqa: F401

    if not init_default_scope:
        return
    never_created = DefaultScope.get_current_instance() is None \
        or not DefaultScope.check_instance_created('mmcsted')
    if never_created:
        DefaultScope.get_instance('mmcsted', scope_name='mmcsted')
        return
    current_scope = DefaultScope.get_current_instance()
    if current_scope.scope_name != 'mmcsted':
        warnings.warn('The current default scope '
                      f'"{current_scope.scope_name}" is not "mmcsted", '
                      '`register_all_modules` will force the current '
                      'default scope to be "mmcsted".')
        new_instance_name = f'mmcsted-{datetime.datetime.now()}'
        DefaultScope.get_instance(new_instance_name, scope_name='mmcsted')
