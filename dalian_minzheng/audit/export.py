"""Streaming CSV for the audit log export. Cells that a spreadsheet would run as a formula are neutralised with the
same rule as every other writer (`spreadsheets.cells.neutralise`). The audit rows are not a
queryset of one model, so they stream through this small writer rather than an ExportKind.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator

from dalian_minzheng.spreadsheets.cells import neutralise as neutralise_text


def neutralise(value) -> str:
    """Text for a CSV cell; a leading =, +, -, @, tab or CR gets an apostrophe (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, default=str)
    return neutralise_text(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """Yield CSV lines (with a UTF-8 BOM first, so Excel opens Chinese text correctly)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([neutralise(h) for h in header])
    for row in rows:
        yield writer.writerow([neutralise(v) for v in row])
