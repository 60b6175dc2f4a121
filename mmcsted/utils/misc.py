from typing import Any, Iterable


def check_choice(name: str, value: Any, choices: Iterable) -> None:
    """Raise ``ValueError`` naming the argument and its allowed values
    unless ``value`` is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f'{name} must be one of {choices}, got {value!r}')
