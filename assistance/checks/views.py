"""Thin views: validate, call a service or a selector, render. The department API authenticates with its own token."""

from __future__ import annotations

import datetime as dt
import io

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from assistance.checks import forms, selectors, services
from assistance.checks.models import (
    RESOLVED,
    Authorisation,
    CheckRun,
    DataItem,
    DeliverySource,
    DepartmentToken,
    Finding,
)
from assistance.models import Application
from dalian_minzheng.accounts.models import Role
from dalian_minzheng.accounts.policy import ADMINS, ALL_ROLES, CITY, STAFF_WRITERS, access
from dalian_minzheng.audit.models import AccessKind
from dalian_minzheng.audit.services import record_access
from dalian_minzheng.core import inputs
from dalian_minzheng.core.bodylimit import body_limit
from dalian_minzheng.spreadsheets.writers import Sheet, write_workbook

ADMIN_READERS = ADMINS | {Role.AUDITOR}
API_MAX_BYTES = getattr(settings, "CHECKS_API_MAX_BYTES", 5 * 1024 * 1024)


def _form_errors(exc: ValidationError, form=None) -> None:
    if form is not None and hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    elif form is not None:
        form.add_error(None, exc.messages)


@access(roles=ALL_ROLES, write_roles=STAFF_WRITERS)
def index(request):
    runs = selectors.runs_for_user(request.user)[:20]
    findings = selectors.open_findings_for_user(request.user)[:50]
    return render(request, "checks/index.html", {"runs": runs, "findings": findings})


@access(roles=ALL_ROLES, write_roles=STAFF_WRITERS, model=Application)
def application_check(request, pk: int):
    application = selectors.application_for_user(request.user, pk)
    members = list(selectors.current_members(application))
    missing = selectors.members_missing_authorisation(application)
    form = forms.AuthorisationForm(members=[m.person for m in members])
    if request.method == "POST":
        form = forms.AuthorisationForm(request.POST, request.FILES, members=[m.person for m in members])
        if form.is_valid():
            try:
                services.authorisation_record(
                    acting_user=request.user,
                    application=application,
                    person_id=form.cleaned_data["person"],
                    signed_on=form.cleaned_data["signed_on"],
                    scan=form.cleaned_data["scan"],
                )
            except ValidationError as exc:
                _form_errors(exc, form)
            else:
                messages.success(request, _("The authorisation was recorded."))
                return redirect("checks:application", pk=application.pk)
    findings = list(selectors.application_findings(application))
    by_person: dict[int, list[Finding]] = {}
    for finding in findings:
        by_person.setdefault(finding.person_id, []).append(finding)
    rows = [(m, by_person.get(m.person_id, [])) for m in members]
    return render(
        request,
        "checks/application.html",
        {
            "application": application,
            "rows": rows,
            "missing": missing,
            "authorisations": selectors.authorisations(application),
            "summary": selectors.application_summary(application),
            "counts": selectors.finding_counts(application),
            "runs": selectors.runs_for_application(application),
            "form": form,
        },
    )


@access(roles=STAFF_WRITERS | {Role.AUDITOR}, write_roles=STAFF_WRITERS, model=Application)
def application_run(request, pk: int):
    application = selectors.application_for_user(request.user, pk)
    if request.method != "POST":
        return redirect("checks:application", pk=application.pk)
    try:
        run = services.check_application(acting_user=request.user, application=application)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("checks:application", pk=application.pk)
    messages.success(request, _("The check has been queued."))
    return redirect("checks:run", pk=run.pk)


@access(roles=ALL_ROLES, write_roles=STAFF_WRITERS, model=Authorisation)
def authorisation_scan(request, pk: int):
    from dalian_minzheng.accounts.scope import scoped

    authorisation = get_object_or_404(scoped(Authorisation.objects.all(), request.user), pk=pk)
    if not authorisation.scan:
        raise Http404
    record_access(
        user=request.user, kind=AccessKind.EXPORT, obj=authorisation, detail={"file": "scan"}, request=request
    )
    return FileResponse(
        authorisation.scan.open("rb"), as_attachment=True, filename=authorisation.scan.name.split("/")[-1]
    )


@access(roles=ALL_ROLES, write_roles=STAFF_WRITERS, model=Finding)
def finding_detail(request, pk: int):
    finding = selectors.finding_for_user(request.user, pk)
    form = forms.ResolveForm()
    if request.method == "POST":
        form = forms.ResolveForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.finding_resolve(
                    acting_user=request.user,
                    finding=finding,
                    kind=form.cleaned_data["kind"],
                    note=form.cleaned_data["note"],
                    evidence=form.cleaned_data.get("evidence"),
                )
            except ValidationError as exc:
                _form_errors(exc, form)
            else:
                messages.success(request, _("The finding was updated."))
                return redirect("checks:application", pk=finding.application_id)
    return render(
        request,
        "checks/finding.html",
        {
            "finding": finding,
            "form": form,
            "actions": selectors.finding_actions(finding),
            "resolvable": finding.resolution not in RESOLVED,
        },
    )


@access(roles=ALL_ROLES, write_roles=ADMINS, model=CheckRun)
def run_detail(request, pk: int):
    run = selectors.run_for_user(request.user, pk)
    template = "checks/_run_progress.html" if request.headers.get("HX-Request") else "checks/run.html"
    return render(request, template, {"run": run})


@access(roles=ADMIN_READERS, write_roles=ADMINS, model=CheckRun)
def run_resume(request, pk: int):
    run = selectors.run_for_user(request.user, pk)
    if request.method == "POST":
        try:
            services.run_resume(acting_user=request.user, run=run)
            messages.success(request, _("The run has been queued again; it continues where it stopped."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("checks:run", pk=run.pk)


@access(roles=CITY | {Role.AUDITOR}, write_roles=CITY)
def recheck_start(request):
    if request.method == "POST":
        run = services.recheck_active_cases(acting_user=request.user)
        messages.success(request, _("The re-check of all active cases has been queued."))
        return redirect("checks:run", pk=run.pk)
    return redirect("checks:index")


@access(roles=ALL_ROLES, write_roles=CITY)
def catalogue(request):
    return render(
        request, "checks/catalogue.html", {"items": selectors.catalogue(), "departments": selectors.departments()}
    )


@access(roles=ALL_ROLES, write_roles=CITY)
def item_edit(request, pk: int):
    # the catalogue is city-wide reference data: no division, every role may read it, only the city admin edits
    item = get_object_or_404(DataItem.objects.select_related("department", "category"), pk=pk)
    form = forms.DataItemForm(instance=item)
    if request.method == "POST":
        form = forms.DataItemForm(request.POST, instance=DataItem.objects.get(pk=item.pk))
        if form.is_valid():
            try:
                services.item_update(acting_user=request.user, item=item, data=form.cleaned_data)
            except ValidationError as exc:
                _form_errors(exc, form)
            else:
                messages.success(request, _("The data item was saved."))
                return redirect("checks:catalogue")
    return render(request, "checks/item_edit.html", {"item": item, "form": form})


@access(roles=CITY | {Role.AUDITOR}, write_roles=CITY)
def deliveries(request):
    form = forms.DeliveryUploadForm()
    if request.method == "POST":
        form = forms.DeliveryUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            department = form.cleaned_data["department"]
            try:
                records = services.parse_delivery_file(department=department, upload=upload)
                upload.seek(0)
                delivery, created = services.delivery_receive(
                    department=department,
                    delivery_ref=form.cleaned_data["delivery_ref"],
                    as_of=form.cleaned_data["as_of"],
                    records=records,
                    source=DeliverySource.FILE,
                    acting_user=request.user,
                    file=upload,
                )
            except services.DeliveryError as exc:
                form.add_error(None, exc.message)
                for err in exc.errors[:20]:
                    form.add_error(None, _("Row %(row)s: %(error)s") % {"row": err.get("row"), "error": err["error"]})
            else:
                if created:
                    messages.success(
                        request,
                        _("Delivery stored: %(n)s records, %(c)s now current.")
                        % {"n": delivery.record_count, "c": delivery.current_count},
                    )
                else:
                    messages.info(request, _("This delivery had already been received; nothing changed."))
                return redirect("checks:deliveries")
    return render(request, "checks/deliveries.html", {"deliveries": selectors.deliveries()[:100], "form": form})


@access(roles=CITY | {Role.AUDITOR}, write_roles=CITY)
def tokens(request):
    form = forms.TokenForm()
    plain = None
    if request.method == "POST":
        form = forms.TokenForm(request.POST)
        if form.is_valid():
            _token, plain = services.token_create(
                acting_user=request.user, department=form.cleaned_data["department"], name=form.cleaned_data["name"]
            )
            form = forms.TokenForm()
    return render(request, "checks/tokens.html", {"tokens": selectors.tokens(), "form": form, "plain": plain})


@access(roles=CITY, write_roles=CITY)
def token_revoke(request, pk: int):
    token = get_object_or_404(DepartmentToken, pk=pk)
    if request.method == "POST":
        services.token_revoke(acting_user=request.user, token=token)
        messages.success(request, _("The token was revoked."))
    return redirect("checks:tokens")


@access(roles=ALL_ROLES)
def report(request):
    form = forms.ReportFilterForm(request.GET or None)
    since = form.cleaned_data.get("since") if form.is_valid() else None
    rows = selectors.findings_report(request.user, since=since)
    return render(request, "checks/report.html", {"rows": rows, "form": form, "since": since})


@access(roles=ADMIN_READERS | {Role.CASEWORKER}, write_roles=frozenset())
def report_export(request):
    form = forms.ReportFilterForm(request.GET or None)
    since = form.cleaned_data.get("since") if form.is_valid() else None
    rows = selectors.findings_report(request.user, since=since)
    headers = [_("Department"), _("District code"), _("District"), _("Not compliant"), _("Doubtful"), _("Compliant"),
               _("Unresolved"), _("Confirmed"), _("Explanation accepted")]  # fmt: skip
    buffer = io.BytesIO()
    write_workbook(buffer, [Sheet(_("Findings"), headers, [list(row.values()) for row in rows])])
    record_access(
        user=request.user,
        kind=AccessKind.EXPORT,
        detail={"report": "checks.findings_by_department_district", "since": str(since or "")},
        row_count=len(rows),
        request=request,
    )
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="check-findings-{dt.date.today():%Y%m%d}.xlsx"'
    return response


# ---------------------------------------------------------------- department API


def _api_error(status: int, message: str, errors: list | None = None) -> JsonResponse:
    body = {"error": message}
    if errors:
        body["errors"] = errors
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="checks"'
    return response


@body_limit(API_MAX_BYTES)  # a token, not a session: its own limit (checked again below, for other servers)
@csrf_exempt
@access(public=True)
def api_deliveries(request):
    """POST {"delivery_id", "as_of", "records": [{"id_number", "item", "value", "attributes"}]} with
    `Authorization: Bearer <department token>`. 201 stored, 200 already received; 400/401/403/409/413/422 store
    nothing."""
    if request.method != "POST":
        return _api_error(405, _("Use POST."))
    header = request.headers.get("Authorization", "")
    scheme, _sep, plain = header.partition(" ")
    if scheme.lower() not in ("bearer", "token") or not plain.strip():
        return _api_error(401, _("A department token is required (Authorization: Bearer <token>)."))
    token = services.token_authenticate(plain.strip())
    if token is None:
        return _api_error(401, _("The token is not valid or has been revoked."))
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return _api_error(400, _("Invalid Content-Length."))
    if length > API_MAX_BYTES:
        return _api_error(413, _("The body is larger than %(n)s bytes; split the delivery.") % {"n": API_MAX_BYTES})
    try:
        body = request.read(API_MAX_BYTES + 1)
    except RequestDataTooBig:
        return _api_error(413, _("The body is larger than %(n)s bytes; split the delivery.") % {"n": API_MAX_BYTES})
    if len(body) > API_MAX_BYTES:
        return _api_error(413, _("The body is larger than %(n)s bytes; split the delivery.") % {"n": API_MAX_BYTES})
    try:
        # Strict: not UTF-8, deep nesting, NUL, NaN or an overflowing number are 400 here, never 500 later.
        payload = inputs.loads(body)
    except inputs.InputError as exc:
        return _api_error(400, str(exc))
    if not isinstance(payload, dict):
        return _api_error(422, _("The body must be a JSON object."))
    unknown = set(payload) - {"delivery_id", "as_of", "records"}
    problems = []
    if unknown:
        problems.append({"field": ", ".join(sorted(unknown)), "error": _("Unknown fields.")})
    ref = payload.get("delivery_id")
    if not isinstance(ref, str) or not ref.strip() or len(ref) > 64:
        problems.append({"field": "delivery_id", "error": _("A text of 1 to 64 characters is required.")})
    try:
        as_of = dt.date.fromisoformat(payload.get("as_of")) if isinstance(payload.get("as_of"), str) else None
    except ValueError:
        as_of = None
    if as_of is None:
        problems.append({"field": "as_of", "error": _("A date YYYY-MM-DD is required.")})
    rows = payload.get("records")
    if not isinstance(rows, list) or not rows:
        problems.append({"field": "records", "error": _("A non-empty list of records is required.")})
    if problems:
        return _api_error(422, _("The delivery does not follow the schema. Nothing was stored."), problems)
    try:
        records = services.clean_records(department=token.department, rows=rows)
        delivery, created = services.delivery_receive(
            department=token.department,
            delivery_ref=ref.strip(),
            as_of=as_of,
            records=records,
            source=DeliverySource.API,
            token=token,
        )
    except services.DeliveryError as exc:
        return _api_error(exc.status, exc.message, exc.errors)
    except PermissionDenied as exc:
        return _api_error(403, str(exc))
    return JsonResponse(
        {
            "delivery_id": delivery.delivery_ref,
            "stored": created,
            "records": delivery.record_count,
            "current": delivery.current_count,
            "as_of": delivery.as_of.isoformat(),
        },
        status=201 if created else 200,
    )
