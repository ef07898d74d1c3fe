"""Header detection: find the header row of a sheet (in its first rows), map its columns to the kind's, and turn
the data rows into lists in the kind's column order; the preview shows the first rows as cleaned."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from dalian_minzheng.spreadsheets import reading
from dalian_minzheng.spreadsheets.cleaning import display_value
from dalian_minzheng.spreadsheets.reading import HEADER_SEARCH_ROWS, SpreadsheetError
from dalian_minzheng.spreadsheets.registry import (
    Column,
    ImportKind,
    clean_text,
    header_key,
)

PREVIEW_ROWS = 10


# ---------------------------------------------------------------- header detection


@dataclass
class Prepared:
    sheet_name: str
    sheet_names: list[str]
    header_row: int
    headers: list[str]
    mapping: dict[int, str]  # cell index → column key
    missing: list[Column]
    ignored: list[str]
    rows: Iterator[tuple[int, list]]
    hidden_rows: frozenset[int]
    candidate_sheets: list[str] = field(default_factory=list)
    estimated_rows: int = 0
    plan: list[tuple[int, str, Column]] = field(default_factory=list)  # (cell index, key, column), built once
    keys: list[str] = field(default_factory=list)

    @property
    def header_for(self) -> dict[str, str]:
        return {key: self.headers[index] for index, key in self.mapping.items()}

    def mapping_by_header(self) -> dict[str, str]:
        return {self.headers[index]: key for index, key in self.mapping.items()}


def _match_header(row: list, kind: ImportKind) -> dict[int, str]:
    lookup = {}
    for column in kind.columns:
        for name in column.headers():
            lookup.setdefault(name, column.key)
    mapping: dict[int, str] = {}
    used: set[str] = set()
    for index, cell in enumerate(row):
        key = lookup.get(header_key(cell))
        if key and key not in used:
            mapping[index] = key
            used.add(key)
    return mapping


def prepare_rows(
    kind: ImportKind,
    header_cells: list,
    header_number: int,
    rows: Iterator[tuple[int, list]],
    *,
    sheet_name: str = "",
    hidden: frozenset[int] = frozenset(),
    estimated_rows: int = 0,
) -> Prepared:
    mapping = _match_header(header_cells, kind)
    headers = [clean_text(c) for c in header_cells]
    found = set(mapping.values())
    return Prepared(
        estimated_rows=estimated_rows,
        sheet_name=sheet_name,
        sheet_names=[],
        header_row=header_number,
        headers=headers,
        mapping=mapping,
        missing=[c for c in kind.columns if c.required and c.key not in found],
        ignored=[h for i, h in enumerate(headers) if h and i not in mapping],
        rows=rows,
        hidden_rows=hidden,
        plan=[(index, key, kind.column(key)) for index, key in mapping.items()],
        keys=[c.key for c in kind.columns],
    )


def _prepare_sheet(sheet: reading.Sheet, kind: ImportKind) -> Prepared | None:
    head: list[tuple[int, list]] = []
    for number, row in sheet.rows:
        if number in sheet.hidden_rows:
            continue
        head.append((number, row))
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    best: tuple[int, int, int] | None = None  # (position in head, matched columns, row number)
    for position, (number, row) in enumerate(head):
        matched = len(_match_header(row, kind))
        if matched and (best is None or matched > best[1]):
            best = (position, matched, number)
    if best is None:
        return None
    position, _matched, number = best
    return prepare_rows(
        kind,
        head[position][1],
        number,
        itertools.chain(head[position + 1 :], sheet.rows),
        sheet_name=sheet.name,
        hidden=sheet.hidden_rows,
        estimated_rows=max(0, sheet.height - number),
    )


def prepare(path: Path, kind: ImportKind, original_name: str = "", sheet_name: str = "") -> Prepared:
    """Open the file, choose the sheet (the named one, else the first whose header has every required column)
    and find the header row. Raises SpreadsheetError with a Chinese message."""
    sheets = reading.open_sheets(path, original_name)
    if not sheets:
        raise SpreadsheetError(_("The workbook has no visible worksheet."))
    names = [s.name for s in sheets]
    if sheet_name:
        sheets = [s for s in sheets if s.name == sheet_name]
        if not sheets:
            raise SpreadsheetError(_("The workbook has no sheet named “%(name)s”.") % {"name": sheet_name})
    partial: Prepared | None = None
    candidates: list[str] = []
    chosen: Prepared | None = None
    for sheet in sheets:
        prepared = _prepare_sheet(sheet, kind)
        if prepared is None:
            continue
        if not prepared.missing:
            candidates.append(sheet.name)
            if chosen is None:
                chosen = prepared
            continue
        if partial is None or len(prepared.mapping) > len(partial.mapping):
            partial = prepared
    result = chosen or partial
    if result is None:
        raise SpreadsheetError(
            _("No header row was found. The first rows must contain column names such as %(names)s.")
            % {"names": "、".join(str(c.label) for c in kind.columns if c.required)}
        )
    result.sheet_names = names
    result.candidate_sheets = candidates
    return result


def preview(path: Path, kind: ImportKind, original_name: str = "", sheet_name: str = "", limit: int = PREVIEW_ROWS):
    """(Prepared, first data rows) for the upload page."""
    prepared = prepare(path, kind, original_name, sheet_name)
    rows = []
    for number, row in prepared.rows:
        if number in prepared.hidden_rows or reading.is_blank(row):
            continue
        rows.append((number, [display_value(row[i]) if i < len(row) else "" for i in range(len(prepared.headers))]))
        if len(rows) >= limit:
            break
    if not rows:
        raise SpreadsheetError(_("The sheet has a header row but no data rows."))
    return prepared, rows

