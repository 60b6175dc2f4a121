"""The package's shape, read from its sources (no import): rooms import only
rooms on lower floors, and ``mmcsted/`` holds library code only (command
lines live in ``tools/``)."""
import ast
import os
import os.path as osp
from typing import Iterator, List, Tuple

PACKAGE = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'mmcsted')

# Low to high. A room imports rooms of lower floors only, so ``datasets`` and
# ``models`` do not import each other; register_all_modules imports them all.
FLOORS = dict(
    utils=0,
    structures=0,
    text=0,
    registry=0,
    version=0,
    datasets=1,
    models=1,
    evaluation=2,
    visualization=2,
    engine=3,
    apis=4)
EXEMPT_FUNCTIONS = ('register_all_modules', )


def _modules() -> Iterator[Tuple[str, str]]:
    """(dotted name, path) of every module of the package."""
    root = osp.dirname(PACKAGE)
    for folder, dirs, files in os.walk(PACKAGE):
        dirs[:] = sorted(
            d for d in dirs if not d.startswith('.') and d != '__pycache__')
        for name in sorted(files):
            if name.endswith('.py'):
                path = osp.join(folder, name)
                dotted = osp.relpath(path, root)[:-3].replace(os.sep, '.')
                yield dotted, path


def imported_names(source: str, module: str) -> List[Tuple[str, str]]:
    """(imported dotted name, enclosing function or '') of every import in
    ``source``, the text of ``module`` (relative imports resolved; a
    ``__init__`` module is its package)."""
    package = module.split('.')[:-1]  # `.` of a.b.c and of a.b.__init__: a.b
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.Import):
                found.extend((a.name, function) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                name = child.module
                if child.level:
                    base = package[:len(package) - child.level + 1]
                    name = '.'.join(base + ([name] if name else []))
                # `from mmcsted import models` imports the room
                found.extend(
                    (f'{name}.{a.name}', function) for a in child.names)
            visit(child, inner)

    visit(ast.parse(source), '')
    return found


def _room(dotted: str):
    parts = dotted.split('.')
    if parts[0] != 'mmcsted' or len(parts) < 2:
        return None
    return parts[1] if parts[1] in FLOORS else None


def test_the_import_reader_resolves_relative_imports():
    src = ('from . import a2d\nfrom ..models.heads import X\n'
           'import mmcsted.apis\n'
           'def register_all_modules():\n    import mmcsted.engine\n')
    assert imported_names(src, 'mmcsted.datasets.mevis') == [
        ('mmcsted.datasets.a2d', ''), ('mmcsted.models.heads.X', ''),
        ('mmcsted.apis', ''), ('mmcsted.engine', 'register_all_modules')
    ]
    assert imported_names('from .vocabulary import split_words',
                          'mmcsted.text.__init__') == [
                              ('mmcsted.text.vocabulary.split_words', '')
                          ]


def test_every_room_has_a_floor():
    rooms = {
        osp.splitext(n)[0]
        for n in os.listdir(PACKAGE)
        if not n.startswith(('.', '_')) and n != '__pycache__'
    }
    assert rooms == set(FLOORS)


def test_no_room_imports_a_room_on_its_floor_or_above():
    wrong = []
    for module, path in _modules():
        own = _room(module)
        if own is None:  # mmcsted/__init__.py
            continue
        with open(path, encoding='utf-8') as f:
            source = f.read()
        for name, function in imported_names(source, module):
            target = _room(name)
            if (target is not None and target != own
                    and FLOORS[target] >= FLOORS[own]
                    and function not in EXEMPT_FUNCTIONS):
                wrong.append(f'{module} imports {name}')
    assert not wrong, '\n'.join(wrong)


def test_no_command_line_in_the_package():
    wrong = []
    for module, path in _modules():
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and any(a.name == 'argparse'
                                                    for a in node.names):
                wrong.append(f'{module} imports argparse')
            elif (isinstance(node, ast.ImportFrom)
                  and node.module == 'argparse'):
                wrong.append(f'{module} imports from argparse')
            elif isinstance(node, ast.Constant) and node.value == '__main__':
                wrong.append(f'{module} checks for __main__')
    assert not wrong, '\n'.join(wrong)


def test_docs_cite_no_file_outside_the_repository():
    # docs/benchmark.md and docs/get_started.md cited METHOD.md and
    # ENVIRONMENT.md, which the repository does not hold
    import glob
    import os.path as osp
    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    docs = glob.glob(osp.join(root, '*.md')) + glob.glob(
        osp.join(root, '**', '*.md'), recursive=True)
    cited = []
    for path in docs:
        if '.venv' in path or 'node_modules' in path:
            continue
        with open(path, encoding='utf-8') as f:
            text = f.read()
        cited += [
            f'{osp.relpath(path, root)}: {name}'
            for name in ('METHOD.md', 'ENVIRONMENT.md') if name in text
        ]
    assert not cited
