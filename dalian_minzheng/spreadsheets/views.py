"""Import and export pages.

Who may do what: district admins import for their district and city admins for the whole city (upload, check,
confirm). Auditors may read the import jobs and their reports (the rejected rows, the error spreadsheet) — they
audit what entered the system — but change nothing. Caseworkers do not import. Everybody may export the list
pages they can see; an export job and its file belong to the requester alone (reached by a random token, 404 for
anybody else).
"""

from __future__ import annotations

import time
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from dalian_minzheng.accounts.models import Role
from dalian_minzheng.accounts.policy import ADMINS, ALL_ROLES, access
from dalian_minzheng.accounts.scope import may
from dalian_minzheng.audit.models import AccessKind
from dalian_minzheng.audit.services import record_access
from dalian_minzheng.spreadsheets import engine, exports, reading, reports, selectors, services
from dalian_minzheng.spreadsheets.forms import UploadForm
from dalian_minzheng.spreadsheets.models import ExportJob, ExportStatus, ImportJob, ImportStatus
from dalian_minzheng.spreadsheets.registry import all_kinds, get_kind

IMPORT_READERS = ADMINS | {Role.AUDITOR}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STALE_SECONDS = 60  # a running job with no progress for this long is offered a retry


def _can_import(user) -> bool:
    return may(user, roles=ADMINS)


@access(roles=IMPORT_READERS, write_roles=ADMINS)
def import_list(request):
    form = UploadForm()
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = services.import_job_create(
                    acting_user=request.user, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"]
                )
            except reading.SpreadsheetError as exc:
                form.add_error("file", str(exc))
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                return redirect("spreadsheets:import_detail", pk=job.pk)
    jobs = Paginator(selectors.import_job_list(user=request.user), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "spreadsheets/import_list.html",
        {"form": form, "jobs": jobs, "kinds": all_kinds(), "can_import": _can_import(request.user)},
        status=400 if request.method == "POST" else 200,
    )


def _detail_context(request, job: ImportJob) -> dict:
    progress = engine.get_progress(job)
    stale = job.is_running and time.time() - (progress.get("at") or 0) > STALE_SECONDS
    errors = Paginator(job.errors.all(), 100).get_page(request.GET.get("page"))
    kind = get_kind(job.kind)
    report = job.report or {}
    return {
        "job": job,
        "kind": kind,
        "progress": progress,
        "stale": stale,
        "errors": errors,
        "report": report,
        "mapping": [(header, str(kind.column(key).label)) for header, key in (job.column_mapping or {}).items()],
        "can_import": _can_import(request.user),
        "other_sheets": [s for s in report.get("sheets", []) if s != job.sheet_name],
    }


@access(roles=IMPORT_READERS, write_roles=ADMINS, model=ImportJob)
def import_detail(request, pk: int):
    job = selectors.import_job_get(user=request.user, pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "validate":
                services.import_job_validate(acting_user=request.user, job=job)
            elif action == "commit":
                services.import_job_commit(acting_user=request.user, job=job)
            elif action == "cancel":
                services.import_job_cancel(acting_user=request.user, job=job)
                messages.info(request, _("The import was cancelled."))
            elif action == "sheet":
                if job.status not in (ImportStatus.UPLOADED, ImportStatus.FAILED) or job.validated_at:
                    raise ValidationError(_("The worksheet can only be changed before the check."))
                services.import_job_inspect(job=job, sheet_name=request.POST.get("sheet", ""))
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect("spreadsheets:import_detail", pk=job.pk)
    return render(request, "spreadsheets/import_detail.html", _detail_context(request, job))


@access(roles=IMPORT_READERS, model=ImportJob)
def import_progress(request, pk: int):
    """Polled by htmx while the worker runs; when the job has moved on, the page reloads itself."""
    job = selectors.import_job_get(user=request.user, pk=pk)
    response = render(request, "spreadsheets/_import_progress.html", _detail_context(request, job))
    if not job.is_running:
        response["HX-Refresh"] = "true"
    return response


@access(roles=IMPORT_READERS, model=ImportJob)
def import_errors_xlsx(request, pk: int):
    job = selectors.import_job_get(user=request.user, pk=pk)
    if not job.errors.exists():
        return redirect("spreadsheets:import_detail", pk=job.pk)
    response = HttpResponse(reports.errors_xlsx(job), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename=import-{job.pk}-errors.xlsx"
    # the rejected rows carry full ID numbers as they were uploaded
    record_access(user=request.user, kind=AccessKind.DOWNLOAD, obj=job, detail={"file": "errors"}, request=request)
    return response


@access(roles=IMPORT_READERS, model=ImportJob)
def import_file(request, pk: int):
    """The uploaded file as it was received (kept with the job)."""
    job = selectors.import_job_get(user=request.user, pk=pk)
    if not job.file:
        raise Http404  # an unreadable file is not kept
    response = FileResponse(job.file.open("rb"), as_attachment=True, filename=job.original_name)
    record_access(user=request.user, kind=AccessKind.DOWNLOAD, obj=job, detail={"file": "upload"}, request=request)
    return response


@access(roles=IMPORT_READERS)
def import_template(request, kind: str):
    try:
        import_kind = get_kind(kind)
    except KeyError:
        raise Http404 from None
    response = HttpResponse(reports.template_xlsx(import_kind), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename=template-{import_kind.key}.xlsx"
    return response


# ---------------------------------------------------------------- exports


@access(roles=ALL_ROLES)
def export(request):
    """Export a list page as it is filtered now (GET: the auditor, who may only read, exports too)."""
    if not request.GET.get("kind"):
        return redirect("spreadsheets:export_jobs")
    try:
        kind = exports.get_export(request.GET["kind"])
    except KeyError:
        raise Http404 from None
    file_format = "csv" if request.GET.get("format") == "csv" else "xlsx"
    full_ids = request.GET.get("full_ids") == "1"
    if full_ids and not kind.can_reveal(request.user):
        raise PermissionDenied
    filters = exports.filter_params(request.GET)
    queryset = kind.queryset(request.user, filters)
    count = queryset.count()
    if count > exports.direct_limit():
        job = services.export_job_queue(
            acting_user=request.user, kind=kind, file_format=file_format, filters=filters, full_ids=full_ids
        )
        return redirect(reverse("spreadsheets:export_jobs") + f"?job={job.token}")
    name = exports.filename_for(kind, file_format)
    rows = exports.iter_rows(kind, queryset, full_ids)
    exports.record_export(
        user=request.user,
        kind=kind,
        filters=filters,
        file_format=file_format,
        full_ids=full_ids,
        rows=count,
        request=request,
    )
    if file_format == "csv":
        response = StreamingHttpResponse(exports.iter_csv(kind, rows, [0]), content_type="text/csv; charset=utf-8")
    else:
        import tempfile

        tmp = tempfile.TemporaryFile()
        exports.write_xlsx(tmp, kind, rows)
        tmp.seek(0)
        response = FileResponse(tmp, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename={name}"
    return response


def _requested_job(request) -> ExportJob | None:
    token = request.GET.get("job", "")
    try:
        uuid.UUID(token)
    except ValueError:
        return None
    return selectors.export_job_get(user=request.user, token=token)


@access(roles=ALL_ROLES)
def export_jobs(request):
    """The user's own background exports; `?job=<token>` shows one with its live progress. The token in the query
    string (not the path) keeps one URL per page for everybody, while only the requester ever finds the job."""
    job = _requested_job(request)
    if job is None:
        jobs = [exports.mark_if_interrupted(j) for j in selectors.export_job_list(user=request.user)[:20]]
        return render(request, "spreadsheets/export_jobs.html", {"jobs": jobs})
    job = exports.mark_if_interrupted(job)
    if request.GET.get("retry") == "1":
        # A GET like the export itself (the auditor, who may only read, exports and retries too); it only ever
        # re-queues the requester's own failed job.
        exports.retry(job)
        return redirect(reverse("spreadsheets:export_jobs") + f"?job={job.token}")
    template = "spreadsheets/_export_progress.html" if request.htmx else "spreadsheets/export_job.html"
    response = render(
        request,
        template,
        {"job": job, "percent": exports.get_progress(job), "label": exports.get_export(job.kind).label},
    )
    if request.htmx and job.status in (ExportStatus.DONE, ExportStatus.FAILED):
        response["HX-Refresh"] = "true"
    return response


@access(roles=ALL_ROLES)
def export_download(request):
    """The finished file, for its requester only (`?job=<token>`; anybody else gets 404)."""
    job = _requested_job(request)
    if job is None:
        return redirect("spreadsheets:export_jobs")
    if job.status != ExportStatus.DONE or not job.file:
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1])
