"""Result tables for the log, by prettytable (as mmseg's ``IoUMetric``)."""
from typing import Any, Sequence

from prettytable import PrettyTable


def format_table(title: str, headers: Sequence[str],
                 rows: Sequence[Sequence[Any]]) -> str:
    """A table of ``rows`` under ``headers``; floats with two decimals."""
    table = PrettyTable(field_names=[str(h) for h in headers], title=title)
    table.align = 'l'
    for row in rows:
        table.add_row(
            [f'{v:.2f}' if isinstance(v, float) else str(v) for v in row])
    return table.get_string()
