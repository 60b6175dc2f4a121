"""Config folders carry a README.md (results and recipe notes) and the config
files stay short: explanations live in the READMEs, as in mmaction2."""
import glob
import os.path as osp
import re

import pytest

CONFIGS = osp.join(osp.dirname(__file__), '..', '..', 'configs')
# folders with runnable configs, and the bases' notes
FOLDERS = sorted({
    osp.dirname(p)
    for p in glob.glob(osp.join(CONFIGS, '**', '*.py'), recursive=True)
    if '_base_' not in p
} | {osp.join(CONFIGS, '_base_')})
FILES = sorted(glob.glob(osp.join(CONFIGS, '**', '*.py'), recursive=True))
# mmaction2's configs: 3 % comment lines
MAX_COMMENT_SHARE = 0.10
MAX_COMMENT_LINES_PER_FILE = 5


def _comment_and_code_lines(path):
    with open(path) as f:
        lines = [line.strip() for line in f if line.strip()]
    return sum(line.startswith('#') for line in lines), len(lines)


def test_config_folders_found():
    names = {osp.relpath(d, CONFIGS) for d in FOLDERS}
    assert {
        'csted', 'csted/ablations', 'csted/synthetic', 'pretrain', '_base_'
    } <= names


@pytest.mark.parametrize(
    'folder', FOLDERS, ids=lambda d: osp.relpath(d, CONFIGS))
def test_folder_readme_names_its_configs(folder):
    readme = osp.join(folder, 'README.md')
    assert osp.isfile(readme), f'{folder} has no README.md'
    with open(readme) as f:
        text = f.read()
    if osp.basename(folder) != '_base_':
        for path in glob.glob(osp.join(folder, '*.py')):
            assert osp.basename(path) in text, (readme, path)
    # relative links point at files that exist (renames cannot break them)
    for target in re.findall(r'\]\((\.{1,2}/[^)#]*)', text):
        assert osp.exists(osp.join(folder, target)), (readme, target)


def test_comment_lines_are_a_small_share():
    counts = [_comment_and_code_lines(p) for p in FILES]
    comments = sum(c for c, _ in counts)
    lines = sum(n for _, n in counts)
    assert comments / lines <= MAX_COMMENT_SHARE, (comments, lines)
    long = [
        osp.relpath(p, CONFIGS) for p, (c, _) in zip(FILES, counts)
        if c > MAX_COMMENT_LINES_PER_FILE
    ]
    assert not long, f'move these comments to the README: {long}'
