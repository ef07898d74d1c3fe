"""Spreadsheets the import pages hand out: the blank template of a kind and the report of rejected rows."""

from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

import xlsxwriter
from django.utils import translation
from django.utils.translation import gettext as _

from dalian_minzheng.spreadsheets import engine, reading
from dalian_minzheng.spreadsheets.models import ImportJob
from dalian_minzheng.spreadsheets.registry import ImportKind, get_kind
from dalian_minzheng.spreadsheets.writers import Sheet, write_workbook

TEMPLATE_ROWS = 5000  # rows pre-formatted as text and given drop-downs


def template_xlsx(kind: ImportKind) -> bytes:
    """Chinese headers, ID columns formatted as text (so Excel never turns a number into 2.1E+17), drop-down lists
    for fixed values, and a sheet of instructions."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    with translation.override("zh-hans"):
        sheet = workbook.add_worksheet(str(kind.label)[:31])
        required = workbook.add_format({"bold": True, "bg_color": "#FDE9D9", "border": 1})
        optional = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
        text = workbook.add_format({"num_format": "@"})
        date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        for index, column in enumerate(kind.columns):
            fmt = text if column.kind in ("id_number", "text", "phone", "division") or column.choices else date
            sheet.set_column(index, index, column.width, fmt)
            label = str(column.label) + (" *" if column.required else "")
            sheet.write_string(0, index, label, required if column.required else optional)
            if column.choices:
                sheet.data_validation(
                    1,
                    index,
                    TEMPLATE_ROWS,
                    index,
                    {
                        "validate": "list",
                        "source": list(column.choices),
                        "error_title": _("Choose from the list"),
                        "error_message": "、".join(column.choices),
                    },
                )
            if column.kind == "id_number":
                sheet.data_validation(
                    1,
                    index,
                    TEMPLATE_ROWS,
                    index,
                    {
                        "validate": "length",
                        "criteria": "==",
                        "value": 18,
                        "error_title": _("ID number"),
                        "error_message": _("An ID number has 18 characters."),
                    },
                )
        sheet.freeze_panes(1, 0)
        notes = workbook.add_worksheet(_("Instructions"))
        wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        notes.set_column(0, 0, 18)
        notes.set_column(1, 1, 80, wrap)
        notes.write_row(0, 0, [_("Column"), _("How to fill it in")], optional)
        notes.write_row(1, 0, [str(kind.label), str(kind.description)], wrap)
        for row, column in enumerate(kind.columns, start=2):
            hints = [_("required") if column.required else _("optional")]
            if column.choices:
                hints.append(_("one of: %(values)s") % {"values": "、".join(column.choices)})
            if column.kind == "date":
                hints.append(_("a date such as 1990-01-01"))
            if column.kind == "id_number":
                hints.append(_("18 characters, typed as text"))
            if column.kind == "division":
                hints.append(_("the 12-digit community or 9-digit street code"))
            if column.help_text:
                hints.append(str(column.help_text))
            notes.write_row(row, 0, [str(column.label), "；".join(hints)], wrap)
    workbook.close()
    return buffer.getvalue()


def errors_xlsx(job: ImportJob) -> bytes:
    """The rejected rows with their original values and a 错误原因 column, in file order."""
    by_row: dict[int, list[str]] = defaultdict(list)
    for number, column, reason in job.errors.values_list("row_number", "column", "reason"):
        by_row[number].append(f"{column}：{reason}" if column else reason)
    kind = get_kind(job.kind)
    prepared = engine.prepare(Path(job.file.path), kind, job.original_name, job.sheet_name)
    width = len(prepared.headers)

    def rejected_rows():
        for number, row in prepared.rows:
            reasons = by_row.get(number)
            if reasons:
                cells = [engine.display_value(row[i]) if i < len(row) else None for i in range(width)]
                yield [*cells, number, "；".join(reasons)]

    buffer = io.BytesIO()
    headers = [*prepared.headers, _("Row"), _("Reason for rejection")]
    write_workbook(buffer, [Sheet(_("Rejected rows"), headers, rejected_rows(), widths=[16] * (width + 1) + [60])])
    return buffer.getvalue()


__all__ = ["template_xlsx", "errors_xlsx", "reading"]
