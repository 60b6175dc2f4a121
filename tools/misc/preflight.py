"""Checks that tools/train.py and tools/test.py run before building the
runner: without the data, a new user would otherwise read a long config dump
and then a traceback about some file deep inside the dataset or the model."""
import os.path as osp
from typing import Iterable, List, Optional

from mmengine.config import Config

DOCS = 'docs/dataset_prepare.md'

# dataset type -> (what the user calls it, a file every tree of it has, how
# to get it)
_DATASETS = {
    'A2DSentencesDataset':
    ('A2D Sentences', 'Release/videoset.csv', f'see {DOCS}'),
    'JHMDBSentencesDataset':
    ('J-HMDB Sentences', 'jhmdb_annotation.txt', f'see {DOCS}'),
    'SyntheticActorDataset': ('the synthetic benchmark', 'generator_meta.json',
                              'write it with tools/data/synthetic/'
                              'generate.py'),
}
_SYNTHETIC = ('the synthetic benchmark', 'generator_meta.json',
              'write it with tools/data/synthetic/generate.py (or run '
              'tools/run_synthetic_benchmark.py)')

# model file option -> what it is and where it comes from
_MODEL_FILES = {
    'vocab_file': ('the query vocabulary',
                   'tools/data/a2d_sentences/prepare.py writes it (the '
                   f'synthetic generator writes its own); see {DOCS}'),
    'glove_file': ('the GloVe vectors', 'glove.840B.300d.zip from '
                   f'https://nlp.stanford.edu/projects/glove/; see {DOCS}'),
}


def _datasets(cfg) -> Iterable[dict]:
    """The dataset configs inside a dataset config (through wrappers such
    as ConcatDataset / RepeatDataset)."""
    if not isinstance(cfg, dict):
        return
    if cfg.get('data_root') is not None:
        yield cfg
    if isinstance(cfg.get('dataset'), dict):
        yield from _datasets(cfg['dataset'])
    for sub in cfg.get('datasets') or []:
        yield from _datasets(sub)


def _file_options(cfg, path: str = 'model'):
    """(config path, option, value) of every vocab_file / glove_file set."""
    if isinstance(cfg, dict):
        for key, value in cfg.items():
            where = f'{path}.{key}'
            if key in _MODEL_FILES and isinstance(value, str):
                yield where, key, value
            else:
                yield from _file_options(value, where)
    elif isinstance(cfg, (list, tuple)):
        for i, value in enumerate(cfg):
            yield from _file_options(value, f'{path}[{i}]')


def data_problems(cfg: Config, loaders: Iterable[str]) -> List[str]:
    """One message per missing data tree / model file that the given
    dataloaders (``'train'``, ``'val'``, ``'test'``) and the model need."""
    problems, seen = [], set()
    for split in loaders:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        for ds in _datasets(loader.get('dataset')):
            root = ds['data_root']
            kind = ds.get('type', '').split('.')[-1]
            name, key_file, how = _DATASETS.get(
                kind, (kind or 'the dataset', None, f'see {DOCS}'))
            if ds.get('query_flags_file') == 'generator_meta.json':
                name, key_file, how = _SYNTHETIC
            if (root, name) in seen:
                continue
            seen.add((root, name))
            override = f'--cfg-options {split}_dataloader.dataset.data_root='
            if not osp.isdir(root):
                problems.append(
                    f'{name} not found at {root}: {how} (or point the '
                    f'config at your copy: {override}PATH)')
            elif key_file and not osp.exists(osp.join(root, key_file)):
                problems.append(f'{name} at {root} has no {key_file}: {how}')
    for where, key, value in _file_options(cfg.get('model')):
        if not osp.exists(value) and value not in seen:
            seen.add(value)
            what, how = _MODEL_FILES[key]
            problems.append(f'{what} not found at {value} ({where}): {how}')
    return problems


def read_config(path: str, tool: str) -> Config:
    """The config at ``path``; a missing file is one line naming the tool
    (mmengine's is a traceback)."""
    if not osp.isfile(path):
        raise SystemExit(f'{tool}: config file not found: {path}')
    return Config.fromfile(path)


def check_data_before_run(cfg: Config,
                          loaders: Iterable[str],
                          tool: Optional[str] = None) -> None:
    """Raise a FileNotFoundError listing what is missing, if anything."""
    problems = data_problems(cfg, loaders)
    if not problems:
        return
    head = f'{tool}: ' if tool else ''
    if len(problems) == 1:
        raise FileNotFoundError(head + problems[0])
    raise FileNotFoundError(head + f'{len(problems)} things are missing:\n' +
                            '\n'.join(f'  - {p}' for p in problems))
