"""Petition list export (xlsx). Uses the spreadsheet engine's export service when the project has one; until then a
small constant-memory writer with the same rules: every formula-like cell neutralised, every export recorded."""

from __future__ import annotations

import io
import re

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.petitions.models import Petition
from dalian_minzheng.audit.models import AccessKind
from dalian_minzheng.audit.services import record_access

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = re.compile(r"^[=+\-@\t\r]")


def neutralise(value):
    """A cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and _FORMULA_START.match(value):
        return "'" + value
    return value


def columns():
    return [
        (_("Petition number"), lambda p: p.number),
        (_("Division"), lambda p: p.division.name),
        (_("Division code"), lambda p: p.division_id),
        (_("Petitioner"), lambda p: p.petitioner_name),
        (_("Channel"), lambda p: p.get_channel_display()),
        (_("Received on"), lambda p: p.received_on.isoformat()),
        (_("Subject"), lambda p: p.subject),
        (_("Status"), lambda p: p.get_status_display()),
        (_("Handled by"), lambda p: str(p.assigned_to) if p.assigned_to_id else ""),
        (_("Due on"), lambda p: p.due_on.isoformat()),
        (_("Resolved on"), lambda p: p.resolved_on.isoformat() if p.resolved_on else ""),
        (_("Satisfaction"), lambda p: p.get_satisfaction_display()),
        (_("Resolution"), lambda p: p.resolution),
    ]


def rows(petitions: QuerySet[Petition]):
    cols = columns()
    yield [title for title, _get in cols]
    for petition in petitions.select_related("division", "assigned_to").iterator(chunk_size=2000):
        yield [neutralise(get(petition)) for _title, get in cols]


def write_xlsx(petitions: QuerySet[Petition]) -> tuple[bytes, int]:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_formulas": False, "in_memory": True})
    sheet = book.add_worksheet(_("Petitions"))
    count = -1
    for r, row in enumerate(rows(petitions)):
        sheet.write_row(r, 0, row)
        count += 1
    book.close()
    return buffer.getvalue(), count


def export_response(*, request, petitions: QuerySet[Petition]) -> HttpResponse:
    content, count = write_xlsx(petitions)
    record_access(
        user=request.user,
        kind=AccessKind.EXPORT,
        detail={"what": "petitions", "query": request.GET.urlencode()},
        row_count=count,
        request=request,
    )
    response = HttpResponse(content, content_type=XLSX)
    filename = f"petitions-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
