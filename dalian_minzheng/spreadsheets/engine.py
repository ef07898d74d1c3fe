"""The import engine: file → header detection → per-row cleaning and validation in Python → COPY into the job's
stage table → set-based rejections → counts → (on commit) one advisory lock and a few set-based upserts.

Validation and commit are separate transactions. Validation leaves the rows that passed every check in an UNLOGGED
table of the job's own (`spreadsheets_stage_<job id>`), so the commit neither reads the spreadsheet again nor
copies anything: it re-runs only the checks that read the database (which may have changed since), counts, and
writes. If that table is gone or incomplete (a database crash empties unlogged tables), the commit rebuilds it from
the kept file. The kinds' SQL reaches the table as `stage` (a temporary view).

The commit is one transaction: every valid row or none. The job row is locked first (`select_for_update`), so a
re-delivered or retried task waits for a running one and then finds the job committed and does nothing; an
advisory lock per `ImportKind.lock_key` serialises any two imports that touch the same tables (persons and
households from different divisions can still overlap in people, so they share the "people" key).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pghistory
from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dalian_minzheng.core import jobs
from dalian_minzheng.core.db import analyze_if_grown
from dalian_minzheng.people.models import Division
from dalian_minzheng.spreadsheets import reading
from dalian_minzheng.spreadsheets.cleaning import cell_cleaner, clean_cell, clean_row, display_value  # noqa: F401
from dalian_minzheng.spreadsheets.headers import PREVIEW_ROWS, Prepared, prepare, prepare_rows, preview  # noqa: F401 (engine.<name> is what callers use)
from dalian_minzheng.spreadsheets.models import ImportJob, ImportRowError, ImportStatus
from dalian_minzheng.spreadsheets.reading import SpreadsheetError
from dalian_minzheng.spreadsheets.registry import (
    Context,
    ImportKind,
    RowError,
    get_kind,
)

log = logging.getLogger(__name__)
PROGRESS_EVERY = 5000
ERROR_BATCH = 2000


# ---------------------------------------------------------------- progress (Redis, visible during a transaction)


def progress_key(job_id: int) -> str:
    return f"spreadsheets:import:{job_id}:progress"


def set_progress(job_id: int, percent: int, phase: str) -> None:
    jobs.stage(f"{phase}-{percent}")  # the heartbeat says where a job is (and a test can stop it there)
    cache.set(progress_key(job_id), {"percent": int(percent), "phase": phase, "at": time.time()}, 24 * 3600)


def get_progress(job: ImportJob) -> dict:
    return cache.get(progress_key(job.pk)) or {"percent": job.progress, "phase": "", "at": 0}


# ---------------------------------------------------------------- jobs


def context_for(division: Division | None, user_id: int | None, job_id: int | None = None) -> Context:
    """Rows outside `division` (the importer's: a district, or the city for the city admin, whose prefix "2102"
    covers every division of Dalian; None = no limit, for superusers in the Django admin) are rejected."""
    codes = Division.objects.filter(is_active=True).values_list("code", flat=True)
    return Context(
        job_id=job_id,
        user_id=user_id,
        scope_prefix=division.scope_prefix if division is not None else "",
        division_codes=frozenset(codes),
        today=timezone.localdate(),
    )


def make_context(job: ImportJob) -> Context:
    return context_for(job.division, job.uploaded_by_id, job.pk)


# The rows that passed the checks wait between the check and the commit in an UNLOGGED table of their own (no WAL:
# it is scratch data, and the uploaded file is kept to rebuild it). The commit uses it as it is — no second read of
# the spreadsheet, no second COPY — and only re-runs the checks against the database, which may have changed since.
# The kinds' SQL reads and deletes through a temporary view named `stage`.
STAGE_PREFIX = "spreadsheets_stage_"
STALE_STAGE_DAYS = 7


def stage_table(job: ImportJob) -> str:
    return f"{STAGE_PREFIX}{int(job.pk)}"


def _use_stage(cursor, table: str) -> None:
    cursor.execute("DROP VIEW IF EXISTS pg_temp.stage")
    cursor.execute(f"CREATE TEMP VIEW stage AS SELECT * FROM {table}")


def _create_stage(cursor, kind: ImportKind, job: ImportJob) -> str:
    table = stage_table(job)
    cols = ", ".join(f"{name} {sqltype}" for name, sqltype in kind.staging)
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(f"CREATE UNLOGGED TABLE {table} ({cols})")
    _use_stage(cursor, table)
    return table


def drop_stage(cursor, job: ImportJob) -> None:
    cursor.execute("DROP VIEW IF EXISTS pg_temp.stage")
    cursor.execute(f"DROP TABLE IF EXISTS {stage_table(job)}")


def _stage_is_intact(cursor, job: ImportJob) -> bool:
    """The validated rows are all there: the table exists and holds as many rows as the report counted (after a
    crash PostgreSQL empties unlogged tables; the commit then rebuilds the stage from the kept file)."""
    cursor.execute("SELECT to_regclass(%s)", [stage_table(job)])
    if cursor.fetchone()[0] is None:
        return False
    cursor.execute(f"SELECT count(*) FROM {stage_table(job)}")
    return cursor.fetchone()[0] == job.new_count + job.updated_count + job.unchanged_count


def drop_stale_stages() -> int:
    """Drop the stage tables nobody will commit: finished, cancelled or failed jobs, jobs gone, and checks older
    than STALE_STAGE_DAYS (such a job can still be committed: the commit rebuilds its stage from the file)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               LEFT JOIN spreadsheets_importjob j
                      ON j.id = CASE WHEN c.relname ~ %(pattern)s THEN substr(c.relname, %(start)s)::bigint END
               WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.relname ~ %(pattern)s
                 AND (j.id IS NULL OR j.status NOT IN (%(validated)s, %(committing)s)
                      OR j.validated_at < now() - make_interval(days => %(days)s))""",
            {
                "start": len(STAGE_PREFIX) + 1,
                "pattern": f"^{STAGE_PREFIX}[0-9]+$",
                "validated": ImportStatus.VALIDATED,
                "committing": ImportStatus.COMMITTING,
                "days": STALE_STAGE_DAYS,
            },
        )
        tables = [row[0] for row in cursor.fetchall()]
        for table in tables:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
    return len(tables)


def _stage_prepared(
    prepared: Prepared,
    kind: ImportKind,
    ctx: Context,
    cursor,
    table: str,
    on_progress: Callable[[int], None] | None = None,
    keep: dict[int, dict] | None = None,
) -> tuple[int, list[tuple[int, RowError]]]:
    """Clean and validate every row; COPY the valid ones into `table`. Returns (data rows, [(row, error)]); `keep`
    receives the cleaned values of the valid rows. PostgreSQL takes in the COPY stream while Python cleans on."""
    ctx.extra["header_for"] = prepared.header_for
    cleaners = [(index, key, column.required, cell_cleaner(column, ctx)) for index, key, column in prepared.plan]
    hidden = prepared.hidden_rows
    validate_row = kind.validate_row
    errors: list[tuple[int, RowError]] = []
    total = 0
    estimate = max(1, prepared.estimated_rows)
    cols = ", ".join(name for name, _type in kind.staging)
    with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
        write_row = copy.write_row
        for number, row in prepared.rows:
            if (hidden and number in hidden) or reading.is_blank(row):
                continue
            total += 1
            ctx.row_number = number
            values, row_errors = clean_row(prepared, cleaners, row)
            if not row_errors:
                try:
                    write_row(validate_row(values, ctx))
                except RowError as exc:
                    row_errors = [exc]
                else:
                    if keep is not None:
                        keep[number] = values
                    if on_progress and total % PROGRESS_EVERY == 0:
                        on_progress(min(99, total * 100 // estimate))
                    continue
            errors.extend((number, exc) for exc in row_errors)
    return total, errors


def _column_header(kind: ImportKind, header_for: dict[str, str], key: str) -> str:
    return header_for.get(key) or (str(kind.column(key).label) if key else "")


def _stage_rows(
    job: ImportJob, kind: ImportKind, ctx: Context, cursor, table: str, on_progress: Callable[[int], None] | None = None
) -> tuple[int, list[ImportRowError]]:
    """Read the job's file and stage it (`_stage_prepared`). Returns (data rows, row errors)."""
    prepared = prepare(Path(job.file.path), kind, job.original_name, job.sheet_name)
    if prepared.missing:
        raise SpreadsheetError(
            _("Required columns are missing: %(names)s.") % {"names": "、".join(str(c.label) for c in prepared.missing)}
        )
    total, row_errors = _stage_prepared(prepared, kind, ctx, cursor, table, on_progress)
    if total == 0:
        raise SpreadsheetError(_("The sheet has a header row but no data rows."))
    header_for = prepared.header_for
    errors = [
        ImportRowError(
            job_id=job.pk,
            row_number=number,
            column=_column_header(kind, header_for, exc.column),
            value=str(exc.value or "")[:500],
            reason=exc.reason,
        )
        for number, exc in row_errors
    ]
    job.column_mapping = prepared.mapping_by_header()
    job.sheet_name = prepared.sheet_name
    job.report = {
        **(job.report or {}),
        "header_row": prepared.header_row,
        "sheet": prepared.sheet_name,
        "ignored_columns": prepared.ignored,
    }
    return total, errors


def _apply_rejections(
    cursor, kind: ImportKind, ctx: Context, job: ImportJob | None = None, recheck: bool = False
) -> list[tuple[int, str, str, str]]:
    """The kind's set-based checks, in order; a rejected row leaves the stage (so a member whose head was just
    rejected is caught by a later check). A job's errors go straight into its error table; without a job they are
    returned as (row, column header, value, reason). `recheck`: the stage was checked before, skip the file-only
    checks."""
    header_for = ctx.extra.get("header_for")
    if header_for is None:
        header_for = {v: k for k, v in ((job.column_mapping if job else None) or {}).items()}
    found: list[tuple[int, str, str, str]] = []
    for entry in kind.reject_sql(ctx):
        column_key, value_expr, rows_sql, reason = entry[:4]
        if recheck and getattr(entry, "file_only", False):
            continue
        column = _column_header(kind, header_for, column_key)
        rejected = f"rejected AS (DELETE FROM stage WHERE row_number IN ({rows_sql}) RETURNING *)"
        if job is None:
            cursor.execute(
                f"WITH {rejected} SELECT s.row_number, COALESCE(({value_expr})::text, '') FROM rejected s "
                "ORDER BY s.row_number"
            )
            found.extend((number, column, value, str(reason)) for number, value in cursor.fetchall())
            continue
        cursor.execute(
            f"""WITH {rejected}
                INSERT INTO spreadsheets_importrowerror (job_id, row_number, "column", value, reason)
                SELECT %s, s.row_number, %s, COALESCE(({value_expr})::text, ''), %s FROM rejected s""",
            [job.pk, column, str(reason)],
        )
    return found


def _classify(cursor, kind: ImportKind, ctx: Context) -> tuple[int, int, int]:
    cursor.execute(kind.classify_sql(ctx))
    new, updated, unchanged = cursor.fetchone()
    return int(new or 0), int(updated or 0), int(unchanged or 0)


def _rejected_count(job: ImportJob) -> int:
    return ImportRowError.objects.filter(job=job).values("row_number").distinct().count()


def _fail(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, error_message=message, progress=0)
    set_progress(job.pk, 0, "failed")


def _check_all(cursor, job: ImportJob, kind: ImportKind, ctx: Context, on_progress=None) -> int:
    """Stage every row that passes the Python checks, then the set-based ones. Returns the data row count."""
    ImportRowError.objects.filter(job=job).delete()
    table = _create_stage(cursor, kind, job)
    total, errors = _stage_rows(job, kind, ctx, cursor, table, on_progress=on_progress)
    ImportRowError.objects.bulk_create(errors, batch_size=ERROR_BATCH)
    _apply_rejections(cursor, kind, ctx, job)
    # A small sample is enough for the join plans over the stage (the default samples 30,000 rows).
    cursor.execute("SET LOCAL default_statistics_target = 10")
    cursor.execute(f"ANALYZE {table}")
    return total


def _locked_job(job_id: int) -> ImportJob:
    """The job row locked for this transaction — only it: locking the joined uploader too made that user's login
    (which writes `last_login`) wait until the import finished."""
    return ImportJob.objects.select_for_update(of=("self",)).select_related("uploaded_by", "division").get(pk=job_id)


def validate_job(job_id: int) -> ImportJob:
    """Check every row and fill the report; no data is written except the job, its row errors and its stage."""
    started = time.monotonic()
    set_progress(job_id, 1, "validating")
    drop_stale_stages()
    job = ImportJob.objects.get(pk=job_id)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # One check of a job at a time (a retried check waits for one still running, then checks again).
            job = _locked_job(job_id)
            if job.status in (ImportStatus.CANCELLED, ImportStatus.COMMITTING, ImportStatus.COMMITTED):
                return job  # cancelled while queued, or already past the check
            kind = get_kind(job.kind)
            ctx = make_context(job)
            total = _check_all(
                cursor, job, kind, ctx, on_progress=lambda p: set_progress(job.pk, p * 9 // 10, "validating")
            )
            set_progress(job.pk, 92, "validating")
            new, updated, unchanged = _classify(cursor, kind, ctx)
            cursor.execute("DROP VIEW IF EXISTS pg_temp.stage")
            job.total_rows = total
            job.new_count, job.updated_count, job.unchanged_count = new, updated, unchanged
            job.rejected_count = _rejected_count(job)
            job.status = ImportStatus.VALIDATED
            job.progress = 100
            job.error_message = ""
            job.validated_at = timezone.now()
            job.report = {**job.report, "validate_seconds": round(time.monotonic() - started, 2)}
            job.save()
    except SpreadsheetError as exc:
        _fail(job, str(exc))
        return ImportJob.objects.get(pk=job.pk)
    set_progress(job.pk, 100, "validated")
    return job


def commit_job(job_id: int) -> ImportJob:
    """Write every valid row, atomically. Safe to run twice and after a crash (see module docstring)."""
    started = time.monotonic()
    with transaction.atomic():
        job = _locked_job(job_id)
        if job.status == ImportStatus.COMMITTED:
            return job
        if job.status not in (ImportStatus.VALIDATED, ImportStatus.COMMITTING):
            raise ValueError(f"import job {job.pk} is {job.status}, not ready to commit")
        kind = get_kind(job.kind)
        ctx = make_context(job)
        set_progress(job.pk, 2, "committing")
        with connection.cursor() as cursor:
            # A worker killed mid-commit leaves a backend running its statement; this makes PostgreSQL notice the
            # closed socket within a second and roll back (and free the locks) instead of finishing the statement.
            cursor.execute("SET LOCAL client_connection_check_interval = '1s'")
            # The statement-level audit triggers read the statement's rows from transition tables, which are kept
            # in work_mem and spill to temporary files beyond it (100,000 persons ≈ 30 MB against the default 4 MB).
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"spreadsheets:{kind.lock_key}"])
            if _stage_is_intact(cursor, job):
                _use_stage(cursor, stage_table(job))
                # Rows that passed the checks are re-checked against the database as it is now.
                _apply_rejections(cursor, kind, ctx, job, recheck=True)
            else:
                _check_all(cursor, job, kind, ctx)
            new, updated, unchanged = _classify(cursor, kind, ctx)
            set_progress(job.pk, 10, "committing")
            upsert_started = time.monotonic()
            # No nested loops in the upsert: its inserts check "not there yet" against the very table they write
            # (a household per head, a membership per person), and the planner, believing that table empty (its
            # statistics are from before the import: a new district's register, or a table analysed while empty),
            # chose a nested loop whose inner side rescans the table as the statement fills it — O(rows²): 100,000
            # members took 73 s instead of 1 s, and whether it happened depended on when autovacuum had last looked
            # (issue 20: the benchmark's figures that did not reproduce). Hash and merge joins read the checked table
            # once, before the first insert; for a small import they cost a few milliseconds more per statement.
            cursor.execute("SET LOCAL enable_nestloop = off")
            with pghistory.context(task="spreadsheets.commit_import", import_job=job.pk, user=job.uploaded_by_id):
                kind.upsert(cursor, ctx)
            cursor.execute("SET LOCAL enable_nestloop = on")
            set_progress(job.pk, 85, "committing")
            # Check the deferred foreign keys now rather than at COMMIT, so their cost shows in the report.
            checks_started = time.monotonic()
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # The pages right after an import query what it wrote: a table it grew by a good part is re-analysed
            # now, not when autovacuum next looks (a table taken for empty made joins nested loops: issue 11).
            for label in kind.writes:
                analyze_if_grown(apps.get_model(label), new)
            timings = {
                "upsert_seconds": round(checks_started - upsert_started, 2),
                "constraint_check_seconds": round(time.monotonic() - checks_started, 2),
            }
            drop_stage(cursor, job)
            set_progress(job.pk, 95, "committing")
        job.new_count, job.updated_count, job.unchanged_count = new, updated, unchanged
        job.rejected_count = _rejected_count(job)
        job.status = ImportStatus.COMMITTED
        job.progress = 100
        job.error_message = ""
        job.committed_at = timezone.now()
        job.report = {**job.report, **timings, "commit_seconds": round(time.monotonic() - started, 2)}
        job.save()
    set_progress(job.pk, 100, "committed")
    return job


@dataclass
class CheckedRows:
    """The engine's verdict on rows that do not come from a job's file (the django-import-export resources)."""

    values: dict[int, dict]  # row number → cleaned values, for the rows that passed every check
    errors: dict[int, list[tuple[str, str, str]]]  # row number → [(column header, value, reason)]

    def messages(self, number: int) -> list[str]:
        return [f"{column}：{reason}" if column else reason for column, _value, reason in self.errors.get(number, [])]


def check_rows(kind: ImportKind, header: list, rows: Iterable[tuple[int, list]], ctx: Context) -> CheckedRows:
    """Every check of an import — the same cell cleaning, `validate_row` and set-based `reject_sql` as a job — on
    rows given by the caller (row number, cells) under `header`. Nothing is written. Raises SpreadsheetError when a
    required column is missing."""
    prepared = prepare_rows(kind, list(header), 0, iter(rows))
    if prepared.missing:
        raise SpreadsheetError(
            _("Required columns are missing: %(names)s.") % {"names": "、".join(str(c.label) for c in prepared.missing)}
        )
    kept: dict[int, dict] = {}
    errors: dict[int, list[tuple[str, str, str]]] = {}
    cols = ", ".join(f"{name} {sqltype}" for name, sqltype in kind.staging)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP VIEW IF EXISTS pg_temp.stage")
        cursor.execute("DROP TABLE IF EXISTS pg_temp.stage")
        # On an error the rollback (of this block's savepoint at least) takes the temporary table with it.
        cursor.execute(f"CREATE TEMP TABLE stage ({cols})")
        _total, row_errors = _stage_prepared(prepared, kind, ctx, cursor, "stage", keep=kept)
        for number, exc in row_errors:
            errors.setdefault(number, []).append(
                (_column_header(kind, prepared.header_for, exc.column), str(exc.value or ""), exc.reason)
            )
        for number, column, value, reason in _apply_rejections(cursor, kind, ctx):
            errors.setdefault(number, []).append((column, value, reason))
        cursor.execute("DROP TABLE pg_temp.stage")
    return CheckedRows(values={n: v for n, v in kept.items() if n not in errors}, errors=errors)


def fail_job(job_id: int, message: str) -> None:
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportStatus.COMMITTED:
        _fail(job, message)


def note_commit_failure(job_id: int, message: str) -> None:
    """A failed commit wrote nothing; the job keeps its status (so it can be retried) and shows the message."""
    ImportJob.objects.filter(pk=job_id).exclude(status=ImportStatus.COMMITTED).update(error_message=message)
