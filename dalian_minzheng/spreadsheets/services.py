"""Writes to import jobs: create from an upload, start the check, confirm the commit, retry. The heavy work runs
in the worker (tasks.py → engine.py); these functions check the user and the job's state and queue it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils.translation import gettext as _

from dalian_minzheng.accounts.policy import IMPORT_ROLES, READ_ALL_ROLES
from dalian_minzheng.accounts.scope import require
from dalian_minzheng.spreadsheets import engine, reading, sandbox
from dalian_minzheng.spreadsheets.models import ExportJob, ImportJob, ImportStatus
from dalian_minzheng.spreadsheets.registry import get_kind


def export_job_queue(*, acting_user, kind, file_format: str, filters: dict, full_ids: bool = False) -> ExportJob:
    """Queue a list export too large to stream (exports.direct_limit()); the worker writes the file after this
    transaction commits. Full ID numbers only for the roles the export kind reveals them to."""
    from dalian_minzheng.spreadsheets import exports
    from dalian_minzheng.spreadsheets.tasks import run_export

    require(acting_user, roles=READ_ALL_ROLES, write=False)  # exporting is reading: the auditor exports too
    if full_ids and not kind.can_reveal(acting_user):
        raise PermissionDenied(_("Your role may not see full ID numbers."))
    job = ExportJob.objects.create(
        kind=kind.key, requested_by=acting_user, file_format=file_format, filters=filters, full_ids=full_ids
    )
    exports.set_progress(job.pk, 0)
    job_id = job.pk
    transaction.on_commit(lambda: run_export.delay(job_id))
    return job


def _require_importer(user) -> None:
    message = _("Only district and city administrators import spreadsheets.")
    require(user, roles=IMPORT_ROLES, message=message)
    # an import writes rows in the importer's own division (even a superuser's): an account without one may not
    if user.division_id is None:
        raise PermissionDenied(message)


@transaction.atomic
def import_job_create(*, acting_user, kind: str, upload: UploadedFile, sheet_name: str = "") -> ImportJob:
    """Keep the uploaded file with a new job and look at it once (header, sheets); a file that cannot be read
    gives a failed job whose message says why, so the user sees the same page either way."""
    _require_importer(acting_user)
    try:
        get_kind(kind)
    except KeyError:
        raise ValidationError({"kind": _("Choose what the file contains.")}) from None
    reading.check_size(upload.size)
    job = ImportJob(
        kind=kind,
        original_name=upload.name[:255],
        uploaded_by=acting_user,
        division_id=acting_user.division_id,
        sheet_name=sheet_name,
    )
    job.file.save(upload.name, upload, save=False)
    job.save()
    import_job_inspect(job=job)
    return job


def import_job_inspect(*, job: ImportJob, sheet_name: str | None = None) -> ImportJob:
    """Header detection on the stored file; records the mapping or the reason the file cannot be used."""
    from pathlib import Path

    if sheet_name is not None:
        job.sheet_name = sheet_name
    if not job.file:
        return job  # removed when it could not be read: the job keeps its failure message
    try:
        # In a limited child process: a file is never parsed by the web process itself (issue 13).
        prepared, rows = sandbox.preview(Path(job.file.path), job.kind, job.original_name, job.sheet_name)
    except reading.SpreadsheetError as exc:
        job.status = ImportStatus.FAILED
        job.error_message = str(exc)
        if isinstance(exc, reading.UnreadableFile):
            job.file.delete(save=False)  # a file that cannot be read is not kept (it may be an attack)
        job.save()
        return job
    job.sheet_name = prepared.sheet_name
    job.column_mapping = prepared.mapping_by_header()
    job.report = {
        "header_row": prepared.header_row,
        "sheet": prepared.sheet_name,
        "sheets": prepared.sheet_names,
        "candidate_sheets": prepared.candidate_sheets,
        "ignored_columns": prepared.ignored,
        "missing_columns": [str(c.label) for c in prepared.missing],
        "preview_headers": prepared.headers,
        "preview_rows": rows,
    }
    if prepared.missing:
        job.status = ImportStatus.FAILED
        job.error_message = _("Required columns are missing: %(names)s.") % {
            "names": "、".join(str(c.label) for c in prepared.missing)
        }
    else:
        job.status = ImportStatus.UPLOADED
        job.error_message = ""
    job.save()
    return job


def _locked(job: ImportJob, acting_user) -> ImportJob:
    _require_importer(acting_user)
    return ImportJob.objects.select_for_update().get(pk=job.pk)


@transaction.atomic
def import_job_validate(*, acting_user, job: ImportJob) -> ImportJob:
    from dalian_minzheng.spreadsheets.tasks import validate_import

    job = _locked(job, acting_user)
    # VALIDATING too: the retry of a check whose worker stopped (the page offers it when progress stalls).
    if job.status not in (ImportStatus.UPLOADED, ImportStatus.VALIDATED, ImportStatus.VALIDATING):
        raise ValidationError(_("This import cannot be checked in its current state."))
    job.status = ImportStatus.VALIDATING
    job.progress = 0
    job.save(update_fields=["status", "progress"])
    engine.set_progress(job.pk, 0, "queued")
    transaction.on_commit(lambda: validate_import.delay(job.pk))
    return job


@transaction.atomic
def import_job_commit(*, acting_user, job: ImportJob) -> ImportJob:
    """Confirm: queue the commit. Also the retry after a crash (status stays "importing" until it succeeds)."""
    from dalian_minzheng.spreadsheets.tasks import commit_import

    job = _locked(job, acting_user)
    if job.status not in (ImportStatus.VALIDATED, ImportStatus.COMMITTING):
        raise ValidationError(_("This import cannot be committed in its current state."))
    if job.status == ImportStatus.VALIDATED and job.new_count + job.updated_count + job.unchanged_count == 0:
        raise ValidationError(_("No row passed the checks; there is nothing to import."))
    job.status = ImportStatus.COMMITTING
    job.error_message = ""
    job.save(update_fields=["status", "error_message"])
    engine.set_progress(job.pk, 0, "queued")
    transaction.on_commit(lambda: commit_import.delay(job.pk))
    return job


@transaction.atomic
def import_job_cancel(*, acting_user, job: ImportJob) -> ImportJob:
    job = _locked(job, acting_user)
    if job.status in (ImportStatus.COMMITTED, ImportStatus.COMMITTING):
        raise ValidationError(_("An import that is running or finished cannot be cancelled."))
    job.status = ImportStatus.CANCELLED
    job.save(update_fields=["status"])
    with connection.cursor() as cursor:
        engine.drop_stage(cursor, job)
    return job
