"""Pages for standard raises. City admins create, preview, approve and apply; district admins and auditors read
(the case-level parts — preview rows, report — limited to a district admin's own district by the selectors)."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assistance.raises import selectors, services
from assistance.raises.forms import RaiseForm
from assistance.raises.models import RaiseStatus
from dalian_minzheng.accounts.models import Role
from dalian_minzheng.accounts.policy import CITY, access
from dalian_minzheng.accounts.scope import may, scope_prefix
from dalian_minzheng.audit.models import AccessKind
from dalian_minzheng.audit.services import record_access
from dalian_minzheng.spreadsheets.writers import Sheet, write_workbook

READERS = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.AUDITOR})


def _errors(exc: ValidationError) -> list[str]:
    return exc.messages


@access(roles=READERS, write_roles=CITY)
def raise_list(request):
    raises = selectors.raise_list(user=request.user)
    return render(
        request,
        "raises/raise_list.html",
        {"raises": raises, "history": selectors.standards_history(), "can_write": _can_write(request.user)},
    )


def _can_write(user) -> bool:
    return may(user, roles=CITY)


@access(roles=CITY, write_roles=CITY)
def raise_create(request):
    form = RaiseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            raise_record = services.raise_create(acting_user=request.user, **form.service_kwargs())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The raise was saved as a draft. Check the preview before approving it."))
            return redirect("raises:detail", pk=raise_record.pk)
    return render(request, "raises/raise_form.html", {"form": form, "raise_record": None})


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@access(roles=CITY, write_roles=CITY)
def raise_edit(request, pk: int):
    raise_record = selectors.raise_get(user=request.user, pk=pk)
    if raise_record.status != RaiseStatus.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return redirect("raises:detail", pk=pk)
    form = RaiseForm(request.POST or None, initial=RaiseForm.initial_for(raise_record))
    if request.method == "POST" and form.is_valid():
        try:
            services.raise_update(acting_user=request.user, raise_record=raise_record, **form.service_kwargs())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The draft was saved."))
            return redirect("raises:detail", pk=pk)
    return render(request, "raises/raise_form.html", {"form": form, "raise_record": raise_record})


@access(roles=READERS, write_roles=CITY)
def raise_detail(request, pk: int):
    raise_record = selectors.raise_get(user=request.user, pk=pk)
    plan = None
    if raise_record.status == RaiseStatus.DRAFT:
        from assistance.raises import planning

        plan = planning.plan(raise_record)
    planned = selectors.planned_for_display(raise_record)
    return render(
        request,
        "raises/raise_detail.html",
        {
            "raise_record": raise_record,
            "plan": plan,
            "planned": planned,
            "progress": services.get_progress(raise_record.pk),
            "can_write": _can_write(request.user),
            "is_due": raise_record.effective_from <= timezone.localdate(),
        },
    )


@access(roles=CITY, write_roles=CITY)
@require_POST
def raise_approve(request, pk: int):
    raise_record = selectors.raise_get(user=request.user, pk=pk)
    try:
        services.raise_approve(acting_user=request.user, raise_record=raise_record)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("The raise was approved."))
    return redirect("raises:detail", pk=pk)


@access(roles=CITY, write_roles=CITY)
@require_POST
def raise_withdraw(request, pk: int):
    raise_record = selectors.raise_get(user=request.user, pk=pk)
    try:
        services.raise_withdraw_approval(acting_user=request.user, raise_record=raise_record)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("The approval was withdrawn; the raise is a draft again."))
    return redirect("raises:detail", pk=pk)


@access(roles=CITY, write_roles=CITY)
@require_POST
def raise_apply(request, pk: int):
    raise_record = selectors.raise_get(user=request.user, pk=pk)
    try:
        services.raise_queue_apply(acting_user=request.user, raise_record=raise_record)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.info(request, _("The raise is being applied by a background worker."))
    return redirect("raises:detail", pk=pk)


@access(roles=READERS, write_roles=CITY)
def raise_progress(request, pk: int):
    raise_record = selectors.raise_get(user=request.user, pk=pk)
    return render(
        request,
        "raises/_progress.html",
        {"raise_record": raise_record, "progress": services.get_progress(raise_record.pk)},
    )


@access(roles=READERS, write_roles=CITY)
def raise_preview(request, pk: int):
    raise_record = selectors.raise_get(user=request.user, pk=pk)
    if raise_record.status == RaiseStatus.APPLIED:
        return redirect("raises:report", pk=pk)
    preview = selectors.raise_preview(user=request.user, raise_record=raise_record, with_check=True)
    can_acknowledge = (
        _can_write(request.user)
        and raise_record.status == RaiseStatus.DRAFT
        and raise_record.created_by_id != request.user.pk
    )
    return render(
        request,
        "raises/raise_preview.html",
        {"raise_record": raise_record, "preview": preview, "can_acknowledge": can_acknowledge},
    )


@access(roles=CITY, write_roles=CITY)
@require_POST
def raise_acknowledge(request, pk: int):
    """A second city admin acknowledges one outlier group of the preview."""
    raise_record = selectors.raise_get(user=request.user, pk=pk)
    try:
        services.raise_acknowledge_outliers(
            acting_user=request.user,
            raise_record=raise_record,
            group=request.POST.get("group", ""),
            note=request.POST.get("note", ""),
        )
    except (ValidationError, PermissionDenied) as exc:
        for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
            messages.error(request, message)
    else:
        messages.success(request, _("The outlier group was acknowledged."))
    return redirect("raises:preview", pk=pk)


def _xlsx_response(request, *, raise_record, sheets: list[tuple[str, list[str], list[list]]], name: str):
    """Write sheets with the one workbook writer (constant memory: a report lists every changed case) and record
    the export in the access log."""
    buffer = io.BytesIO()
    count = write_workbook(
        buffer, [Sheet(title, headers, rows) for title, headers, rows in sheets], constant_memory=True
    )
    record_access(
        user=request.user,
        kind=AccessKind.EXPORT,
        obj=raise_record,
        detail={"export": f"raises.{name}", "format": "xlsx"},
        row_count=count,
        request=request,
    )
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="raise-{raise_record.pk}-{name}.xlsx"'
    return response


@access(roles=READERS, write_roles=CITY)
def raise_preview_export(request, pk: int):
    raise_record = selectors.raise_get(user=request.user, pk=pk)
    preview = selectors.raise_preview(user=request.user, raise_record=raise_record, top=200)
    by_programme = [
        [r.district_name, r.programme_name, r.cases, r.changed, r.before, r.after, r.difference] for r in preview.rows
    ]
    top = [
        [c["district"], c["programme"], c["name"], c["id_number"], c["old"], c["new"], c["difference"]]
        for c in preview.top_cases
    ]
    headers = [_("District"), _("Programme"), _("Cases"), _("Amount changes"), _("Monthly total before"),
               _("Monthly total after"), _("Difference")]  # fmt: skip
    top_headers = [_("District"), _("Programme"), _("Head of household"), _("ID number"), _("Before"), _("After"),
                   _("Difference")]  # fmt: skip
    return _xlsx_response(
        request,
        raise_record=raise_record,
        sheets=[(_("Preview"), headers, by_programme), (_("Largest changes"), top_headers, top)],
        name="preview",
    )


@access(roles=READERS, write_roles=CITY)
def raise_report(request, pk: int):
    raise_record = selectors.raise_get(user=request.user, pk=pk)
    report = selectors.raise_report(user=request.user, raise_record=raise_record)
    return render(
        request,
        "raises/raise_report.html",
        {"raise_record": raise_record, "report": report, "district_only": scope_prefix(request.user) != ""},
    )


@access(roles=READERS, write_roles=CITY)
def raise_report_export(request, pk: int):
    raise_record = selectors.raise_get(user=request.user, pk=pk)
    report = selectors.raise_report(user=request.user, raise_record=raise_record)
    rows = [[r.district_name, r.district, r.changed, r.before, r.after, r.difference] for r in report.by_district()]
    headers = [_("District"), _("Code"), _("Cases"), _("Monthly total before"), _("Monthly total after"),
               _("Difference")]  # fmt: skip
    return _xlsx_response(
        request, raise_record=raise_record, sheets=[(_("Report by district"), headers, rows)], name="report"
    )


@access(roles=READERS, write_roles=CITY)
def raise_notice(request, pk: int):
    """The notice for affected households, always in Chinese (it is posted in communities): generated from the
    raise, or as the city admin worded it here (POST: save the text; "reset": back to the generated one)."""
    raise_record = selectors.raise_get(user=request.user, pk=pk)
    if request.method == "POST":
        text = "" if "reset" in request.POST else request.POST.get("notice_text", "")
        services.raise_set_notice(acting_user=request.user, raise_record=raise_record, text=text)
        messages.success(request, _("The notice text was saved.") if text.strip() else _("The notice is generated."))
        return redirect("raises:notice", pk=pk)
    generated = _generated_notice(request, raise_record)
    text = raise_record.notice_text or generated
    if request.GET.get("format") == "txt":
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="raise-{raise_record.pk}-notice.txt"'
        return response
    return render(
        request,
        "raises/raise_notice.html",
        {"raise_record": raise_record, "text": text, "edited": bool(raise_record.notice_text),
         "can_write": _can_write(request.user)},
    )  # fmt: skip


def _generated_notice(request, raise_record) -> str:
    report = selectors.raise_report(user=request.user, raise_record=raise_record)
    with translation.override("zh-hans"):
        planned = selectors.planned_for_display(raise_record)
        context = {
            "raise_record": raise_record,
            "direct": [p for p in planned if not p["linked"]],
            "linked": [p for p in planned if p["linked"]],
            "report": report,
            "households": report.changed,
            "back_pay": raise_record.effective_from < timezone.localdate().replace(day=1),
            "today": timezone.localdate(),
        }
        return render_to_string("raises/notice.txt", context, request=request)
