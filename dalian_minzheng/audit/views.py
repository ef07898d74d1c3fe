"""The auditor's pages: search the change trail and the sensitive-read records, and export the trail.

Read-only by construction: these views only SELECT, the admin registers the audit models read-only, and the event
tables have triggers that refuse UPDATE and DELETE (PGHISTORY_APPEND_ONLY; AccessEvent's own pgtrigger.Protect).
"""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from dalian_minzheng.accounts.policy import READERS_OF_AUDIT, access
from dalian_minzheng.audit import selectors
from dalian_minzheng.audit.forms import EventSearchForm
from dalian_minzheng.audit.models import AccessKind
from dalian_minzheng.audit.services import record_access
from dalian_minzheng.spreadsheets.writers import csv_lines

PAGE_SIZE = 50
EXPORT_CHUNK = 2000


def _page_number(request) -> int:
    try:
        # Capped: ?page=10**30 would overflow the bigint OFFSET (a DataError, found by tests/security fuzzing).
        return min(max(1, int(request.GET.get("page", 1))), 1_000_000)
    except ValueError:
        return 1


@access(roles=READERS_OF_AUDIT)
def event_list(request):
    form = EventSearchForm(request.GET or None)
    page = _page_number(request)
    rows, access_rows, has_next = [], [], False
    if not request.GET or form.is_valid():
        flt = form.event_filter() if form.is_bound else selectors.EventFilter()
        # One row more than the page tells whether there is a next page, without counting 300,000 events.
        rows = selectors.search_events(flt, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1)
        has_next = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        if not flt.table:
            access_rows = list(
                selectors.access_events(
                    user_id=flt.user_id, date_from=flt.date_from, date_to=flt.date_to, person_ids=flt.person_ids
                )[:PAGE_SIZE]
            )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "audit/event_list.html",
        {
            "form": form,
            "rows": rows,
            "access_rows": access_rows,
            "page": page,
            "has_next": has_next,
            "querystring": params.urlencode(),
        },
    )


def _export_rows(flt):
    offset = 0
    while True:
        chunk = selectors.search_events(flt, offset=offset, limit=EXPORT_CHUNK)
        for r in chunk:
            yield [
                timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                r.tracked_model._meta.label,
                r.action,
                r.obj_id,
                r.user_label,
                r.source,
                r.diff,
                r.data,
            ]
        if len(chunk) < EXPORT_CHUNK:
            return
        offset += EXPORT_CHUNK


@access(roles=READERS_OF_AUDIT)
def event_export(request):
    """The whole search result as CSV, streamed; the export itself is recorded (AccessEvent audit_export).

    Note: the audit log is for auditors; it holds full row data (ID numbers included) by design."""
    form = EventSearchForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "audit/event_list.html", {"form": form, "rows": [], "page": 1})
    flt = form.event_filter() if form.is_bound else selectors.EventFilter()
    record_access(
        user=request.user,
        kind=AccessKind.AUDIT_EXPORT,
        detail={k: v for k, v in request.GET.items()},
        request=request,
    )
    header = [_("Time"), _("Table"), _("Action"), _("Record"), _("User"), _("Source"), _("Changes"), _("Data")]
    response = StreamingHttpResponse(csv_lines(header, _export_rows(flt)), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
