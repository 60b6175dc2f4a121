"""Small helpers shared by the dataset readers, the transforms and the
preparation tools."""
import csv
import hashlib
import io
import json
import logging
import os
import os.path as osp
from collections import OrderedDict
from typing import Collection, Dict, List, Optional, Sequence, Tuple

from mmengine import fileio
from mmengine.logging import print_log


def require_file(path: str,
                 what: str,
                 hint: str = '',
                 backend_args: Optional[dict] = None) -> str:
    """Raise a ``FileNotFoundError`` that names ``path`` if it is absent
    (from the :mod:`mmengine.fileio` backend of ``backend_args``)."""
    if not fileio.exists(path, backend_args=backend_args):
        msg = f'{what} not found: {path}'
        if hint:
            msg += f' ({hint})'
        raise FileNotFoundError(msg)
    return path


def resolve_cache_dir(data_root: str, cache_dir: Optional[str] = None) -> str:
    """``cache_dir``, else ``<data_root>/mmcsted_cache`` if writable, else
    ``~/.cache/mmcsted/<hash of data_root>``.
    """
    if cache_dir:
        return cache_dir
    data_root = osp.abspath(data_root)
    if os.access(data_root, os.W_OK):
        return osp.join(data_root, 'mmcsted_cache')
    digest = hashlib.sha1(data_root.encode('utf-8')).hexdigest()[:12]
    return osp.join(osp.expanduser('~'), '.cache', 'mmcsted', digest)


class SkipCounter:
    """Counts skipped items per reason with a few examples and logs one
    summary line per reason, so that no sample disappears silently.
    """

    def __init__(self, owner: str, max_examples: int = 5):
        self.owner = owner
        self.max_examples = max_examples
        self.counts: Dict[str, int] = OrderedDict()
        self.examples: Dict[str, List[str]] = {}
        self.levels: Dict[str, int] = {}

    def add(self,
            reason: str,
            example: str = '',
            n: int = 1,
            level: int = logging.WARNING) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + n
        self.levels[reason] = max(self.levels.get(reason, 0), level)
        ex = self.examples.setdefault(reason, [])
        if example and len(ex) < self.max_examples:
            ex.append(example)

    def as_dict(self) -> Dict[str, int]:
        return dict(self.counts)

    def log_summary(self, kept: Optional[int] = None) -> None:
        """One line per reason (WARNING for abnormal ones, INFO for the ones
        that are expected on the real tree)."""
        if kept is not None:
            print_log(f'{self.owner}: {kept} samples', logger='current')
        for reason, n in self.counts.items():
            examples = self.examples.get(reason, [])
            more = f' (e.g. {"; ".join(examples)}' + (
                ', ...)' if n > len(examples) else ')') if examples else ''
            print_log(
                f'{self.owner}: skipped {n} x {reason}{more}',
                logger='current',
                level=self.levels.get(reason, logging.WARNING))


def read_json(path: str,
              what: str,
              hint: str = '',
              backend_args: Optional[dict] = None,
              object_pairs_hook=None):
    """A JSON file read through :mod:`mmengine.fileio`: a missing file is a
    ``FileNotFoundError`` naming ``what``, a malformed one a ``ValueError``
    naming the file."""
    require_file(path, what, hint, backend_args)
    text = fileio.get_text(path, encoding='utf-8', backend_args=backend_args)
    try:
        return json.loads(text, object_pairs_hook=object_pairs_hook)
    except ValueError as e:
        raise ValueError(f'{path}: not valid JSON ({e})') from None


def read_csv_rows(path: str,
                  header: Sequence[str],
                  what: str,
                  hint: str = '',
                  backend_args: Optional[dict] = None) -> List[tuple]:
    """``(first line, last line, fields)`` of the non-blank rows of a CSV
    file (UTF-8, BOM allowed) whose first row is ``header`` (any case), read
    through :mod:`mmengine.fileio`; a quoted field may span lines. A missing
    file, another header or a row with fewer fields is an error naming it.
    """
    require_file(path, what, hint, backend_args)
    text = fileio.get_text(path, 'utf-8-sig', backend_args=backend_args)
    reader = csv.reader(io.StringIO(text, newline=''))
    found = next(reader, None)
    if found is None or [h.strip().lower()
                         for h in found[:len(header)]] != list(header):
        raise ValueError(f'{path}: expected the header "{",".join(header)}", '
                         f'got {found}')
    rows, last_line = [], reader.line_num
    for fields in reader:
        first_line, last_line = last_line + 1, reader.line_num
        if not any(c.strip() for c in fields):
            continue
        if len(fields) < len(header):
            raise ValueError(f'{path}:{last_line}: expected {len(header)} '
                             f'fields ({", ".join(header)}), got {fields}')
        rows.append((first_line, last_line, fields))
    return rows


def limited_list(items, limit: int = 10) -> str:
    """``a, b, c, ... (N in all)`` for error messages."""
    items = list(items)
    shown = ', '.join(str(i) for i in items[:limit])
    if len(items) > limit:
        shown += f', ... ({len(items)} in all)'
    return shown


def list_names(folder: str,
               folders: bool = False,
               suffix: str = '',
               backend_args: Optional[dict] = None) -> List[str]:
    """The sorted names of the files (``folders``: the sub-folders) in
    ``folder`` that end with ``suffix`` (any case)."""
    names = fileio.list_dir_or_file(
        folder,
        list_dir=folders,
        list_file=not folders,
        backend_args=backend_args)
    return sorted(n for n in names if n.lower().endswith(suffix))


def count_numbered(names: Collection[str], tmpl: str) -> int:
    """How many of ``tmpl.format(1), tmpl.format(2), ...`` are in ``names``
    before the first one that is not."""
    n = 0
    while tmpl.format(n + 1) in names:
        n += 1
    return n


class ArgsRepr:
    """``repr`` of a transform: its type and its ``repr_args`` attributes."""
    repr_args: Tuple[str, ...] = ()

    def __repr__(self) -> str:
        args = ', '.join(f'{n}={getattr(self, n)!r}' for n in self.repr_args)
        return f'{type(self).__name__}({args})'
