"""Thin views of the eldercare register: a scoped selector to read, a form to validate, a service to write."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dalian_minzheng.accounts.models import Role
from dalian_minzheng.accounts.policy import (
    ALL_ROLES,
    ELDERCARE_DECISION_ROLES,
    ELDERCARE_FACILITY_ROLES,
    ELDERCARE_STAFF_ROLES,
    OPERATOR_ROLES,
    access,
)
from dalian_minzheng.accounts.scope import may
from dalian_minzheng.core.pages import page_action, paginate
from dalian_minzheng.people.forms import attach_service_errors
from dalian_minzheng.people.models import Division, DivisionLevel
from eldercare import forms, selectors, services
from eldercare.models import Facility, Hazard, RatingApplication, RatingStatus, Resident, SubsidyList

# The pages a facility operator reaches (its own facility only: the selectors and services see to it).
READERS = ALL_ROLES | OPERATOR_ROLES


@access(roles=READERS)
def index(request):
    today = timezone.localdate()
    return render(
        request,
        "eldercare/index.html",
        {
            "counts": selectors.overview(user=request.user),
            "overdue_by_district": selectors.overdue_hazards_by_area(user=request.user),
            "overdue_by_street": selectors.overdue_hazards_by_area(user=request.user, level=DivisionLevel.STREET),
            "not_inspected": selectors.institutions_not_inspected(user=request.user, year=today.year)[:20],
            "filing_overdue": selectors.filing_overdue(user=request.user)[:20],
            "expiring": selectors.grades_expiring(user=request.user)[:20],
            "year": today.year,
        },
    )


@access(roles=ALL_ROLES)
def facility_list(request):
    form = forms.FacilityFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.facility_list(user=request.user, **{k: v or "" for k, v in filters.items()})
    page, query = paginate(request, qs)
    return render(
        request,
        "eldercare/facility_list.html",
        {"form": form, "page": page, "query": query, "can_write": may(request.user, roles=ELDERCARE_STAFF_ROLES)},
    )


@access(roles=ELDERCARE_STAFF_ROLES)
def facility_create(request):
    form = forms.FacilityForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        division = data.pop("division")
        try:
            facility = services.facility_register(acting_user=request.user, division=division.code, **data)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Facility registered."))
            return redirect("eldercare:facility_detail", pk=facility.pk)
    return render(request, "eldercare/facility_form.html", {"form": form})


@access(roles=ELDERCARE_STAFF_ROLES, model=Facility)
def facility_edit(request, pk: int):
    facility = selectors.facility_get(user=request.user, pk=pk)
    form = forms.FacilityForm(request.POST or None, instance=facility, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.facility_update(acting_user=request.user, facility_id=facility.pk, **form.cleaned_data)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("eldercare:facility_detail", pk=facility.pk)
    return render(request, "eldercare/facility_form.html", {"form": form, "facility": facility})


def _facility_context(request, facility, **forms_given):
    return {
        "facility": facility,
        **selectors.facility_page(facility=facility),
        "filing_due": services.filing_due(facility),
        "can_write": may(request.user, roles=ELDERCARE_STAFF_ROLES, division=facility.division_id),
        "can_operate": may(request.user, roles=ELDERCARE_FACILITY_ROLES, division=facility.division_id),
        "filing_form": forms_given.get("filing_form") or forms.FilingForm(),
        "inspection_form": forms_given.get("inspection_form") or forms.InspectionForm(),
        "rating_form": forms_given.get("rating_form") or forms.RatingApplyForm(),
        "admit_form": forms_given.get("admit_form") or forms.AdmitForm(),
        "service_form": forms_given.get("service_form") or forms.ServiceRecordForm(),
        "renovation_form": forms_given.get("renovation_form") or forms.RenovationForm(),
        "construction_form": forms_given.get("construction_form") or forms.ConstructionSubsidyForm(),
        "can_decide": may(request.user, roles=ELDERCARE_DECISION_ROLES, division=facility.division_id),
        "construction_subsidies": list(facility.construction_subsidies.all()),
        "today": timezone.localdate(),
    }


@access(roles=READERS, model=Facility)
def facility_detail(request, pk: int):
    facility = selectors.facility_get(user=request.user, pk=pk)
    return render(request, "eldercare/facility_detail.html", _facility_context(request, facility))


def _facility_action(request, pk, form_class, form_name, run, success):
    facility = selectors.facility_get(user=request.user, pk=pk)
    return page_action(
        request,
        facility,
        page="eldercare:facility_detail",
        template="eldercare/facility_detail.html",
        context=_facility_context,
        form_class=form_class,
        form_name=form_name,
        run=run,
        success=success,
    )


@access(roles=ALL_ROLES, write_roles=ELDERCARE_STAFF_ROLES, model=Facility)
def facility_file(request, pk: int):
    def run(facility, form):
        services.facility_file(acting_user=request.user, facility_id=facility.pk, **form.cleaned_data)

    return _facility_action(request, pk, forms.FilingForm, "filing_form", run, _("Filing recorded."))


@access(roles=ALL_ROLES, write_roles=ELDERCARE_STAFF_ROLES, model=Facility)
def inspection_create(request, pk: int):
    def run(facility, form):
        data = form.cleaned_data
        services.inspection_record(
            acting_user=request.user,
            facility_id=facility.pk,
            kind=data["kind"],
            inspected_on=data["inspected_on"],
            inspectors=data["inspectors"],
            onsite=data["onsite"],
            notes=data["notes"],
            hazards=form.hazards(),
            checklist=form.checklist(),
        )

    return _facility_action(request, pk, forms.InspectionForm, "inspection_form", run, _("Inspection recorded."))


@access(roles=ALL_ROLES, write_roles=ELDERCARE_STAFF_ROLES, model=Facility)
def rating_apply(request, pk: int):
    def run(facility, form):
        application = services.rating_apply(
            acting_user=request.user, facility_id=facility.pk, grade=form.cleaned_data["grade"]
        )
        return reverse("eldercare:rating_detail", kwargs={"pk": application.pk})

    return _facility_action(request, pk, forms.RatingApplyForm, "rating_form", run, _("Rating application recorded."))


@access(roles=READERS, write_roles=ELDERCARE_FACILITY_ROLES, model=Facility)
def resident_admit(request, pk: int):
    def run(facility, form):
        risks, measures = form.assessment()
        data = form.cleaned_data
        resident = services.resident_admit(
            acting_user=request.user,
            facility_id=facility.pk,
            id_number=data["id_number"],
            name=data["name"],
            admitted_on=data["admitted_on"],
            risks=risks,
            measures=measures,
        )
        return reverse("eldercare:resident_detail", kwargs={"pk": resident.pk})

    return _facility_action(request, pk, forms.AdmitForm, "admit_form", run, _("Resident admitted."))


@access(roles=ALL_ROLES)
def planning(request):
    district = request.GET.get("district", "")
    plan = selectors.planning(user=request.user, district=district)
    chart = {
        "streets": [s.name for s in plan["streets"]],
        "beds_per_100": [s.beds_per_100 or 0 for s in plan["streets"]],
    }
    return render(request, "eldercare/planning.html", {**plan, "chart": chart, "district": district})


@access(roles=ALL_ROLES, write_roles=ELDERCARE_STAFF_ROLES, model=Facility)
def renovation_create(request, pk: int):
    def run(facility, form):
        services.renovation_record(acting_user=request.user, facility_id=facility.pk, **form.cleaned_data)

    return _facility_action(request, pk, forms.RenovationForm, "renovation_form", run, _("Renovation recorded."))


@access(roles=ALL_ROLES, write_roles=ELDERCARE_DECISION_ROLES, model=Facility)
def construction_subsidy_create(request, pk: int):
    def run(facility, form):
        services.construction_subsidy_grant(acting_user=request.user, facility_id=facility.pk, **form.cleaned_data)

    return _facility_action(
        request, pk, forms.ConstructionSubsidyForm, "construction_form", run, _("Construction subsidy granted.")
    )


@access(roles=ALL_ROLES, write_roles=ELDERCARE_STAFF_ROLES, model=Facility)
def renovation_advance(request, pk: int):
    facility = selectors.facility_get(user=request.user, pk=pk)
    if request.method == "POST":
        project = facility.renovations.filter(pk=request.POST.get("renovation")).first()
        if project is None:
            messages.error(request, _("Choose the renovation."))
        else:
            try:
                services.renovation_advance(acting_user=request.user, renovation_id=project.pk)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Saved."))
    return redirect("eldercare:facility_detail", pk=pk)


@access(roles=READERS, write_roles=ELDERCARE_FACILITY_ROLES, model=Facility)
def service_create(request, pk: int):
    def run(facility, form):
        data = form.cleaned_data
        services.service_record(
            acting_user=request.user,
            facility_id=facility.pk,
            kind=data["kind"],
            served_on=data["served_on"],
            quantity=data["quantity"],
            hours=data["hours"],
            id_number=data["id_number"] or "",
        )

    return _facility_action(request, pk, forms.ServiceRecordForm, "service_form", run, _("Service recorded."))


@access(roles=READERS)
def service_volumes(request):
    today = timezone.localdate()
    try:
        month = dt.date.fromisoformat((request.GET.get("month") or f"{today:%Y-%m}") + "-01")
    except ValueError:
        month = today.replace(day=1)
    level = request.GET.get("level", "facility")
    if level not in selectors.VOLUME_LEVELS:
        level = "facility"
    from eldercare.models import ServiceKind

    return render(
        request,
        "eldercare/service_volumes.html",
        {
            "rows": selectors.service_volumes(user=request.user, month=month, level=level),
            "month": month,
            "level": level,
            "kinds": ServiceKind.choices,
        },
    )


# ---------------------------------------------------------------- hazards


@access(roles=READERS)
def hazard_list(request):
    status = request.GET.get("status", "unresolved")
    overdue = request.GET.get("overdue") == "on"
    qs = selectors.hazard_list(
        user=request.user,
        status=status,
        severity=request.GET.get("severity", ""),
        overdue=overdue,
        division=request.GET.get("division", ""),
    )
    page, query = paginate(request, qs)
    return render(
        request,
        "eldercare/hazard_list.html",
        {
            "page": page,
            "query": query,
            "status": status,
            "overdue": overdue,
            "today": timezone.localdate(),
            "severity": request.GET.get("severity", ""),
            "division": request.GET.get("division", ""),
            "can_write": may(request.user, roles=ELDERCARE_STAFF_ROLES),
            "can_operate": may(request.user, roles=ELDERCARE_FACILITY_ROLES),
            "rectify_form": forms.RectifyForm(),
            "reinspect_form": forms.ReinspectForm(),
        },
    )


def _hazard_action(request, pk, form_class, run):
    hazard = selectors.hazard_get(user=request.user, pk=pk)
    if request.method == "POST":
        form = form_class(request.POST, request.FILES)
        if form.is_valid():
            try:
                run(hazard, form.cleaned_data)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Saved."))
        else:
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(request.POST.get("next") or reverse("eldercare:facility_detail", kwargs={"pk": hazard.facility_id}))


@access(roles=READERS, write_roles=ELDERCARE_FACILITY_ROLES, model=Hazard)
def hazard_rectify(request, pk: int):
    def run(hazard, data):
        services.hazard_rectify(
            acting_user=request.user, hazard_id=hazard.pk, note=data["note"], evidence=data["evidence"]
        )

    return _hazard_action(request, pk, forms.RectifyForm, run)


@access(roles=READERS, write_roles=frozenset(), model=Hazard)
def hazard_evidence(request, pk: int, which: str):
    """A hazard's evidence file (before: found at the inspection; after: the rectification), audited."""
    from django.http import FileResponse, Http404

    from dalian_minzheng.audit.models import AccessKind
    from dalian_minzheng.audit.services import record_access

    hazard = selectors.hazard_get(user=request.user, pk=pk)
    file = {"before": hazard.evidence, "after": hazard.rectification_evidence}.get(which)
    if not file:
        raise Http404
    record_access(user=request.user, kind=AccessKind.DOWNLOAD, obj=hazard, detail={"evidence": which}, request=request)
    return FileResponse(file.open("rb"), as_attachment=True, filename=file.name.rsplit("/", 1)[-1])


@access(roles=ALL_ROLES, write_roles=ELDERCARE_STAFF_ROLES, model=Hazard)
def hazard_reinspect(request, pk: int):
    def run(hazard, data):
        services.hazard_reinspect(acting_user=request.user, hazard_id=hazard.pk, passed=data["passed"])

    return _hazard_action(request, pk, forms.ReinspectForm, run)


# ---------------------------------------------------------------- ratings


@access(roles=READERS)
def rating_list(request):
    page, query = paginate(request, selectors.rating_list(user=request.user, status=request.GET.get("status", "")))
    return render(
        request,
        "eldercare/rating_list.html",
        {"page": page, "query": query, "statuses": RatingStatus.choices, "status": request.GET.get("status", "")},
    )


def _rating_context(request, application, **given):
    return {
        "application": application,
        "grade_names": services.GRADE_NAMES,
        "can_write": may(request.user, roles=ELDERCARE_STAFF_ROLES, division=application.facility.division_id),
        "can_decide": may(request.user, roles=ELDERCARE_DECISION_ROLES, division=application.facility.division_id),
        "scores_form": given.get("scores_form") or forms.ScoresForm(),
        "committee_form": given.get("committee_form") or forms.CommitteeForm(),
        "objection_form": given.get("objection_form") or forms.ObjectionForm(),
        "finalize_form": given.get("finalize_form") or forms.FinalizeForm(),
    }


@access(roles=READERS, model=RatingApplication)
def rating_detail(request, pk: int):
    application = selectors.rating_get(user=request.user, pk=pk)
    return render(request, "eldercare/rating_detail.html", _rating_context(request, application))


def _rating_action(request, pk, form_class, form_name, run):
    application = selectors.rating_get(user=request.user, pk=pk)
    return page_action(
        request,
        application,
        page="eldercare:rating_detail",
        template="eldercare/rating_detail.html",
        context=_rating_context,
        form_class=form_class,
        form_name=form_name,
        run=run,
    )


@access(roles=ALL_ROLES, write_roles=ELDERCARE_STAFF_ROLES, model=RatingApplication)
def rating_scores(request, pk: int):
    def run(application, form):
        services.rating_record_scores(
            acting_user=request.user,
            application_id=application.pk,
            scores=form.scores(),
            conditions=form.condition_results(),
        )

    return _rating_action(request, pk, forms.ScoresForm, "scores_form", run)


@access(roles=ALL_ROLES, write_roles=ELDERCARE_DECISION_ROLES, model=RatingApplication)
def rating_committee(request, pk: int):
    def run(application, form):
        services.rating_committee_decide(
            acting_user=request.user, application_id=application.pk, credit_ok=form.cleaned_data["credit_ok"]
        )

    return _rating_action(request, pk, forms.CommitteeForm, "committee_form", run)


@access(roles=ALL_ROLES, write_roles=ELDERCARE_STAFF_ROLES, model=RatingApplication)
def rating_objection(request, pk: int):
    def run(application, form):
        services.rating_record_objection(
            acting_user=request.user, application_id=application.pk, text=form.cleaned_data["text"]
        )

    return _rating_action(request, pk, forms.ObjectionForm, "objection_form", run)


@access(roles=ALL_ROLES, write_roles=ELDERCARE_DECISION_ROLES, model=RatingApplication)
def rating_finalize(request, pk: int):
    def run(application, form):
        services.rating_finalize(
            acting_user=request.user,
            application_id=application.pk,
            objection_upheld=form.cleaned_data["objection_upheld"],
        )

    return _rating_action(request, pk, forms.FinalizeForm, "finalize_form", run)


# ---------------------------------------------------------------- residents


@access(roles=READERS)
def resident_list(request):
    from eldercare.models import ResidentStatus

    params = {k: request.GET.get(k, "") for k in ("q", "facility", "level")}
    status = request.GET.get("status", ResidentStatus.ADMITTED)
    page, query = paginate(request, selectors.resident_list(user=request.user, status=status, **params))
    return render(
        request,
        "eldercare/resident_list.html",
        {"page": page, "query": query, "status": status, "statuses": ResidentStatus.choices, **params},
    )


def _resident_context(request, resident, **given):
    return {
        "resident": resident,
        "assessments": list(resident.assessments.all()[:20]),
        "can_write": may(request.user, roles=ELDERCARE_FACILITY_ROLES, division=resident.facility.division_id),
        "assess_form": given.get("assess_form") or forms.AssessForm(),
        "leave_form": given.get("leave_form") or forms.LeaveForm(),
    }


@access(roles=READERS, model=Resident)
def resident_detail(request, pk: int):
    resident = selectors.resident_get(user=request.user, pk=pk)
    return render(request, "eldercare/resident_detail.html", _resident_context(request, resident))


def _resident_action(request, pk, form_class, form_name, run):
    resident = selectors.resident_get(user=request.user, pk=pk)
    return page_action(
        request,
        resident,
        page="eldercare:resident_detail",
        template="eldercare/resident_detail.html",
        context=_resident_context,
        form_class=form_class,
        form_name=form_name,
        run=run,
    )


@access(roles=READERS, write_roles=ELDERCARE_FACILITY_ROLES, model=Resident)
def resident_assess(request, pk: int):
    def run(resident, form):
        data = form.cleaned_data
        services.ability_assess(
            acting_user=request.user,
            resident_id=resident.pk,
            assessed_on=data["assessed_on"],
            reason=data["reason"],
            scores=form.scores(),
            raise_reason=data["raise_reason"] or "",
        )

    return _resident_action(request, pk, forms.AssessForm, "assess_form", run)


@access(roles=READERS, write_roles=ELDERCARE_FACILITY_ROLES, model=Resident)
def resident_leave(request, pk: int):
    def run(resident, form):
        data = form.cleaned_data
        services.resident_leave(
            acting_user=request.user,
            resident_id=resident.pk,
            on=data["on"],
            status=data["status"],
            reason=data["reason"],
        )

    return _resident_action(request, pk, forms.LeaveForm, "leave_form", run)


# ---------------------------------------------------------------- subsidies


# Subsidy lists are the district bureau's and the city's (and the auditors'), not a street caseworker's.
SUBSIDY_READERS = ELDERCARE_DECISION_ROLES | {Role.AUDITOR}


@access(roles=SUBSIDY_READERS, write_roles=ELDERCARE_DECISION_ROLES)
def subsidy_list_index(request):
    form = forms.SubsidyComputeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subsidy_list = services.subsidy_list_compute(
                district_code=form.cleaned_data["district"], month=form.cleaned_data["month"], acting_user=request.user
            )
        except ValidationError as exc:
            attach_service_errors(form, exc)
        except Division.DoesNotExist:
            form.add_error("district", _("Unknown district code."))
        else:
            messages.success(request, _("Subsidy list computed."))
            return redirect("eldercare:subsidy_list_detail", pk=subsidy_list.pk)
    page, query = paginate(request, selectors.subsidy_lists(user=request.user))
    return render(
        request,
        "eldercare/subsidy_lists.html",
        {"page": page, "query": query, "form": form, "can_decide": may(request.user, roles=ELDERCARE_DECISION_ROLES)},
        status=400 if form.errors else 200,
    )


@access(roles=SUBSIDY_READERS, write_roles=ELDERCARE_DECISION_ROLES, model=SubsidyList)
def subsidy_list_detail(request, pk: int):
    subsidy_list = selectors.subsidy_list_get(user=request.user, pk=pk)
    if request.method == "POST":
        try:
            services.subsidy_list_approve(acting_user=request.user, subsidy_list_id=subsidy_list.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Subsidy list approved."))
        return redirect("eldercare:subsidy_list_detail", pk=pk)
    lines = subsidy_list.lines.select_related("facility")
    return render(
        request,
        "eldercare/subsidy_list_detail.html",
        {
            "subsidy_list": subsidy_list,
            "lines": lines,
            "can_decide": may(request.user, roles=ELDERCARE_DECISION_ROLES, division=subsidy_list.district_id),
        },
    )


@access(roles=SUBSIDY_READERS, write_roles=frozenset(), model=SubsidyList)
def subsidy_list_xlsx(request, pk: int):
    """The list for the finance office: one row per facility with its residents by level and the amount."""
    import io

    from django.http import HttpResponse

    from dalian_minzheng.audit.models import AccessKind
    from dalian_minzheng.audit.services import record_access
    from dalian_minzheng.spreadsheets.writers import Sheet, write_workbook

    subsidy_list = selectors.subsidy_list_get(user=request.user, pk=pk)
    levels = [str(level) for level in range(5)]
    headers = [_("facility"), _("Division code"), _("residents")]
    headers += [_("level %(n)s") % {"n": level} for level in levels]
    headers.append(_("amount (yuan)"))
    lines = subsidy_list.lines.select_related("facility").order_by("facility__division_id", "facility__name")
    rows = [
        [
            line.facility.name,
            line.facility.division_id,
            line.residents,
            *[line.by_level.get(lv, 0) for lv in levels],
            line.amount,
        ]
        for line in lines
    ]
    footer = [_("Total"), "", sum(r[2] for r in rows), *[""] * len(levels), subsidy_list.total]
    buffer = io.BytesIO()
    title = f"{subsidy_list.district.name}{subsidy_list.month:%Y-%m}"
    write_workbook(buffer, [Sheet(title, headers, rows, widths=[28, 14], footer=footer)])
    record_access(
        user=request.user,
        kind=AccessKind.EXPORT,
        obj=subsidy_list,
        detail={"export": "eldercare.subsidy_list", "month": f"{subsidy_list.month:%Y-%m}"},
        row_count=len(rows),
        request=request,
    )
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="subsidy-{subsidy_list.district_id}-{subsidy_list.month:%Y%m}.xlsx"'
    )
    return response
