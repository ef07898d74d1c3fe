"""THE spreadsheet writers of the portal: `write_workbook` for every xlsx a page or a job hands out (rosters, raise
previews and reports, the checks' findings report, the reconciliation, the import's rejected rows, the registers'
reports) and `csv_lines` for every CSV (list exports, the audit log).

    write_workbook(target, [Sheet(_("Findings"), headers, rows, widths=[20, 12])])

One cell rule for all of them: text goes through `cells.neutralise` (no formula ever runs) and is written as a
string (an ID number or a bank account never becomes 2.1E+17); Decimal, int and float are numbers (Decimal with
two decimals); dates are dates; None and "" leave the cell empty; anything else is written as its text.

List exports of any size stream through `xlsxstream.StreamingXlsx` (exports.py), which applies the same rule; the
import template (reports.template_xlsx) is a form with drop-downs and validations, not data, and builds its own.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dalian_minzheng.spreadsheets.cells import neutralise

DEFAULT_WIDTH = 16


@dataclass
class Sheet:
    title: Any  # at most 31 characters are kept (Excel's limit)
    headers: Sequence[Any]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[int] = ()  # per column; columns past the list get DEFAULT_WIDTH
    footer: Sequence[Any] | None = None  # a last row in bold (合计 …)
    label_column: bool = field(default=False)  # the first column in bold (a two-column summary sheet)


def write_workbook(target, sheets: Iterable[Sheet], *, constant_memory: bool = False) -> int:
    """Write `sheets` to `target` (a path or a binary file object); returns the number of data rows written.
    `constant_memory` keeps one row in memory (rosters of a whole district) at the cost of writing rows in order."""
    import xlsxwriter

    options = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    options.update({"constant_memory": True, "in_memory": False} if constant_memory else {"in_memory": True})
    workbook = xlsxwriter.Workbook(target, options)
    formats = {
        "header": workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1}),
        "bold": workbook.add_format({"bold": True}),
        "money": workbook.add_format({"num_format": "0.00"}),
        "money_bold": workbook.add_format({"num_format": "0.00", "bold": True}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "text": workbook.add_format({"num_format": "@"}),
    }
    count = 0
    for sheet_spec in sheets:
        sheet = workbook.add_worksheet(str(sheet_spec.title)[:31])
        widths = list(sheet_spec.widths)
        for col in range(max(len(widths), len(sheet_spec.headers))):
            sheet.set_column(col, col, widths[col] if col < len(widths) else DEFAULT_WIDTH)
        for col, header in enumerate(sheet_spec.headers):
            sheet.write_string(0, col, str(header), formats["header"])
        first = 1 if sheet_spec.headers else 0  # a summary sheet without headers starts at the top
        row_index = first - 1
        for row_index, row in enumerate(sheet_spec.rows, start=first):
            for col, value in enumerate(row):
                _write_cell(sheet, row_index, col, value, formats, bold=sheet_spec.label_column and col == 0)
            count += 1
        if sheet_spec.footer is not None:
            for col, value in enumerate(sheet_spec.footer):
                _write_cell(sheet, row_index + 1, col, value, formats, bold=True)
        if sheet_spec.headers:
            sheet.freeze_panes(1, 0)
    workbook.close()
    return count


def _write_cell(sheet, row: int, col: int, value: Any, formats: dict, *, bold: bool = False) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        sheet.write_string(row, col, "是" if value else "否", formats["bold"] if bold else None)
    elif isinstance(value, Decimal):
        sheet.write_number(row, col, float(value), formats["money_bold" if bold else "money"])
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, formats["bold"] if bold else None)
    elif isinstance(value, dt.datetime):
        sheet.write_datetime(row, col, value.replace(tzinfo=None), formats["datetime"])
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, col, dt.datetime(value.year, value.month, value.day), formats["date"])
    else:
        sheet.write_string(row, col, neutralise(str(value)), formats["bold"] if bold else formats["text"])


def csv_cell(value: Any) -> str:
    """Text of one CSV cell: empty for None, JSON for a dict or list, ISO dates, and the neutralising rule."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, default=str)
    elif isinstance(value, dt.datetime):
        value = value.strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, dt.date):
        value = value.isoformat()
    return neutralise(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[Any], rows: Iterable[Iterable[Any]], counter: list[int] | None = None) -> Iterator[str]:
    """CSV lines, a UTF-8 BOM first so Excel opens the Chinese text correctly; `counter[0]` counts the rows."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([csv_cell(str(h)) for h in header])
    for row in rows:
        if counter is not None:
            counter[0] += 1
        yield writer.writerow([csv_cell(v) for v in row])
