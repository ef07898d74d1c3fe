"""Streaming CSV for the audit log export. Cells that a spreadsheet would run as a formula are neutralised.

When the spreadsheet engine's streaming export service (dalian_minzheng/spreadsheets/exports.py) lands it can take
this over; the view only needs an iterator of rows.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """Prefix a single quote to text that Excel / WPS would evaluate (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, default=str)
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """Yield CSV lines (with a UTF-8 BOM first, so Excel opens Chinese text correctly)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([neutralise(h) for h in header])
    for row in rows:
        yield writer.writerow([neutralise(v) for v in row])
