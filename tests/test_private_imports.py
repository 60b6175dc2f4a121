"""No module of the package imports another module's private names."""
import ast
from pathlib import Path

import mmcsted

PACKAGE = Path(mmcsted.__file__).parent


def private_imports(root: Path = PACKAGE) -> set:
    """(module path, name) of every ``from <module> import _name`` in the
    package whose module is one of the package's (relative or
    ``mmcsted.``) and whose name has one leading underscore."""
    found = set()
    for path in sorted(root.rglob('*.py')):
        tree = ast.parse(path.read_text(encoding='utf-8'))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            ours = node.level > 0 or (node.module or '').split('.')[0] == \
                'mmcsted'
            for alias in node.names if ours else ():
                if alias.name.startswith(
                        '_') and not alias.name.startswith('__'):
                    found.add((path.relative_to(root).as_posix(), alias.name))
    return found


def test_no_private_names_imported_across_modules():
    found = sorted(private_imports())
    assert not found, f'private names imported across modules: {found}'


def test_the_scan_finds_an_offender(tmp_path):
    (tmp_path / 'a.py').write_text('from .b import _hidden, shown\n')
    (tmp_path / 'c.py').write_text('from mmcsted.x import __all__\n'
                                   'from os import _exit\n')
    assert private_imports(tmp_path) == {('a.py', '_hidden')}
