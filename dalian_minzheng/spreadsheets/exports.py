"""Streaming exports to xlsx and csv, used by every list page through one "导出" button.

A list page registers an export kind once (in `<app>/spreadsheet_exports.py`, autodiscovered):

    from dalian_minzheng.spreadsheets.exports import ExportColumn, ExportKind, register_export

    register_export(ExportKind(
        key="assistance.cases",
        label=_("Cases"),
        columns=[ExportColumn(_("Name"), "person__name"), ExportColumn(_("ID number"), "person__id_number",
                 kind="id_number"), ...],
        # The list page's own selector with the list page's own GET parameters: the export is exactly the list.
        queryset=lambda user, params: selectors.case_list(user=user, **params_for_the_filter(params)),
    ))

and puts `{% include "spreadsheets/_export_button.html" with export_kind="assistance.cases" %}` on the page; the
button carries the page's current query string. `spreadsheets:export` then counts the rows: up to
`EXPORT_DIRECT_MAX_ROWS` stream straight back; more become an `ExportJob` run by the worker with progress, whose
file only the requester can download. Every export writes an `AccessEvent(kind=export)` with the kind, filters,
format, whether full ID numbers were asked for, and the row count.

Exports are GET requests on purpose: the auditor (read-only, GET only) must be able to export.

Rows are read with a server-side cursor (`.iterator()`), and xlsx is written by a streaming writer (xlsxstream.py,
one row in memory at a time; several times faster than xlsxwriter's constant_memory mode, measured), so memory
does not grow with the number of rows. Every text cell that begins with
=, +, -, @, a tab or a carriage return gets a leading apostrophe, so no spreadsheet program runs it as a formula.
ID numbers are masked unless the user is entitled (`reveal_roles`) and explicitly asks for full numbers.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.db import transaction
from django.db.models import DateTimeField, F, Func, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from dalian_minzheng.accounts.models import Role
from dalian_minzheng.audit.models import AccessKind
from dalian_minzheng.audit.services import record_access
from dalian_minzheng.core import jobs
from dalian_minzheng.people import idnumbers
from dalian_minzheng.spreadsheets.cells import FORMULA_PREFIXES, neutralise  # noqa: F401 (re-exported)
from dalian_minzheng.spreadsheets.writers import csv_lines
from dalian_minzheng.spreadsheets.xlsxstream import StreamingXlsx

log = logging.getLogger(__name__)
CHUNK = 2000
CONTROL_PARAMS = {"kind", "format", "full_ids", "page"}


@dataclass(frozen=True)
class ExportColumn:
    header: Any
    path: str  # a values_list() lookup, e.g. "division__name"
    kind: str = "text"  # text | id_number | date | datetime | number | bool | choice
    choices: dict | None = None  # stored value → label
    width: int = 14


@dataclass
class ExportKind:
    key: str
    label: Any
    columns: list[ExportColumn]
    queryset: Callable[[Any, dict], Any]
    filename: str = "export"
    reveal_roles: frozenset = field(default_factory=lambda: frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN}))

    def can_reveal(self, user) -> bool:
        return user.is_superuser or user.role in self.reveal_roles


_EXPORTS: dict[str, ExportKind] = {}


def register_export(kind: ExportKind) -> ExportKind:
    _EXPORTS[kind.key] = kind
    return kind


def get_export(key: str) -> ExportKind:
    return _EXPORTS[key]


def filter_params(querydict) -> dict[str, str]:
    """The list page's filters (the query string minus the export's own parameters), as a plain dict."""
    return {k: v for k, v in querydict.items() if k not in CONTROL_PARAMS and v != ""}


def _formatters(kind: ExportKind, full_ids: bool) -> list[Callable[[Any], Any]]:
    result = []
    for column in kind.columns:
        if column.kind == "id_number":
            result.append((lambda v: v or "") if full_ids else idnumbers.mask)
        elif column.kind == "choice":
            labels = {k: str(v) for k, v in (column.choices or {}).items()}
            result.append(lambda v, labels=labels: labels.get(v, v if v is not None else ""))
        elif column.kind == "bool":
            yes, no = _("Yes"), _("No")
            result.append(lambda v, yes=yes, no=no: yes if v else no)
        elif column.kind == "datetime":
            result.append(lambda v: v.replace(tzinfo=None) if v is not None and v.tzinfo else v)
        else:
            result.append(lambda v: v)
    return result


def iter_rows(kind: ExportKind, queryset, full_ids: bool) -> Iterator[list[Any]]:
    formatters = _formatters(kind, full_ids)
    # Date-times are converted to local time by PostgreSQL (timezone(zone, ts) → timestamp without time zone):
    # loading naive timestamps is several times cheaper than Django's per-value aware-datetime loader.
    annotations, paths = {}, []
    for index, column in enumerate(kind.columns):
        if column.kind == "datetime":
            name = f"_export_local_{index}"
            annotations[name] = Func(
                Value(settings.TIME_ZONE), F(column.path), function="timezone", output_field=DateTimeField()
            )
            paths.append(name)
        else:
            paths.append(column.path)
    if annotations:
        queryset = queryset.annotate(**annotations)
    for values in queryset.values_list(*paths).iterator(chunk_size=CHUNK):
        yield [fmt(v) for fmt, v in zip(formatters, values, strict=True)]


def write_xlsx(target, kind: ExportKind, rows: Iterable[list[Any]], on_row: Callable[[int], None] | None = None) -> int:
    """Write to a path or binary file object with the streaming writer (xlsxstream.py); returns the row count."""
    numbers = [c.kind == "number" for c in kind.columns]
    count = 0
    with StreamingXlsx(
        target, str(kind.label), [str(c.header) for c in kind.columns], [c.width for c in kind.columns]
    ) as out:
        for count, row in enumerate(rows, start=1):
            cells = []
            for value, is_number in zip(row, numbers, strict=True):
                if value is None or value == "":
                    cells.append(None)
                elif isinstance(value, str):
                    cells.append(neutralise(value))
                elif (is_number and isinstance(value, int | float)) or isinstance(value, dt.date):
                    cells.append(value)
                else:
                    cells.append(neutralise(str(value)))
            out.write_row(cells)
            if on_row and count % CHUNK == 0:
                on_row(count)
    return count


def iter_csv(kind: ExportKind, rows: Iterable[list[Any]], counter: list[int]) -> Iterator[str]:
    """CSV lines through the one CSV writer (writers.csv_lines: BOM, neutralised cells, ISO dates)."""
    return csv_lines([str(c.header) for c in kind.columns], rows, counter)


def record_export(*, user, kind: ExportKind, filters: dict, file_format: str, full_ids: bool, rows: int, request=None):
    return record_access(
        user=user,
        kind=AccessKind.EXPORT,
        detail={"export": kind.key, "filters": filters, "format": file_format, "full_ids": full_ids},
        row_count=rows,
        request=request,
    )


def filename_for(kind: ExportKind, file_format: str) -> str:
    return f"{kind.filename}-{timezone.localtime():%Y%m%d-%H%M}.{file_format}"


# ---------------------------------------------------------------- background jobs
#
# As for imports (engine.set_progress), the worker leaves its progress in Redis with the time it was written. A job
# that is queued or running but whose worker has not been heard of for a while is shown as interrupted (it failed,
# with a message saying so) and can be retried; a task redelivered after the worker's death (acks_late) runs it again
# as well. Each run writes a new temporary file and saves it only at the end, so a run cut short leaves nothing.

STALE_RUNNING_SECONDS = 60  # a running export reports every CHUNK rows, a few times a second
STALE_QUEUED_SECONDS = 15 * 60  # a queued one may wait behind a long import


def progress_key(job_id: int) -> str:
    return f"spreadsheets:export:{job_id}:progress"


def set_progress(job_id: int, percent: int) -> None:
    cache.set(progress_key(job_id), {"percent": int(percent), "at": time.time()}, 24 * 3600)


def _progress(job) -> dict:
    value = cache.get(progress_key(job.pk))
    return value if isinstance(value, dict) else {"percent": job.progress, "at": 0}


def get_progress(job) -> int:
    return int(_progress(job)["percent"])


def interrupted_message() -> str:
    return _("The export was interrupted: the background worker stopped before the file was written. Retry it.")


def mark_if_interrupted(job):
    """A queued or running job whose worker has gone quiet is failed, with a message saying so (see above)."""
    from dalian_minzheng.spreadsheets.models import ExportJob, ExportStatus

    heard = _progress(job)["at"]
    if job.status == ExportStatus.RUNNING:
        quiet = time.time() - heard > STALE_RUNNING_SECONDS
    elif job.status == ExportStatus.QUEUED:
        quiet = time.time() - max(heard, job.created_at.timestamp()) > STALE_QUEUED_SECONDS
    else:
        return job
    if quiet:
        ExportJob.objects.filter(pk=job.pk, status=job.status).update(
            status=ExportStatus.FAILED, error_message=interrupted_message()
        )
        job.refresh_from_db()
    return job


def retry(job) -> bool:
    """Queue a failed export again (only its requester reaches it: selectors.export_job_get)."""
    from dalian_minzheng.spreadsheets.models import ExportJob, ExportStatus
    from dalian_minzheng.spreadsheets.tasks import run_export

    with transaction.atomic():
        if not ExportJob.objects.filter(pk=job.pk, status=ExportStatus.FAILED).update(
            status=ExportStatus.QUEUED, error_message="", progress=0
        ):
            return False
        set_progress(job.pk, 0)
        transaction.on_commit(lambda: run_export.delay(job.pk))
    job.refresh_from_db()
    return True


def run_export_job(job_id: int) -> None:
    """Write the file of an export (idempotent: a finished job is left alone; an interrupted one is run again)."""
    from dalian_minzheng.spreadsheets.models import ExportJob, ExportStatus

    if (
        not ExportJob.objects.filter(pk=job_id)
        .exclude(status=ExportStatus.DONE)
        .update(status=ExportStatus.RUNNING, error_message="")
    ):
        return
    set_progress(job_id, 0)
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    kind = get_export(job.kind)
    try:
        queryset = kind.queryset(job.requested_by, job.filters)
        total = max(1, queryset.count())
        set_progress(job.pk, 0)

        def on_row(n: int) -> None:
            set_progress(job.pk, min(99, n * 100 // total))

        name = filename_for(kind, job.file_format)
        with tempfile.TemporaryFile() as tmp:
            rows = iter_rows(kind, queryset, job.full_ids)
            if job.file_format == "csv":
                counter = [0]
                for line in iter_csv(kind, rows, counter):
                    tmp.write(line.encode("utf-8"))
                    if counter[0] % CHUNK == 0:
                        on_row(counter[0])
                count = counter[0]
            else:
                count = write_xlsx(tmp, kind, rows, on_row)
            tmp.seek(0)
            jobs.stage("saving")  # the file is written, not yet saved: a worker killed here leaves no file
            with transaction.atomic():
                job.file.save(name, File(tmp, name=name), save=False)
                job.row_count = count
                job.status = ExportStatus.DONE
                job.progress = 100
                job.error_message = ""
                job.finished_at = timezone.now()
                job.save()
                record_export(
                    user=job.requested_by,
                    kind=kind,
                    filters=job.filters,
                    file_format=job.file_format,
                    full_ids=job.full_ids,
                    rows=count,
                )
        set_progress(job.pk, 100)
    except Exception:
        log.exception("export job %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).exclude(status=ExportStatus.DONE).update(
            status=ExportStatus.FAILED, error_message=_("The export stopped with an internal error. Retry it.")
        )
        raise


def direct_limit() -> int:
    return int(getattr(settings, "EXPORT_DIRECT_MAX_ROWS", 5000))
