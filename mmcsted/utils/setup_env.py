import datetime
import warnings

from mmengine import DefaultScope


def install_stack_workarounds() -> None:
    """Install in mmengine what the project needs of it (idempotent): the
    safe checkpoint loaders, the ``mmaction::`` config fallback and a filter
    for the ``pkg_resources`` deprecation warning mmengine 0.10.7 triggers
    (only that message); docs/get_started.md, "What mmcsted installs in
    mmengine, and when"."""
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
