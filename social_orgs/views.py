"""Thin views of the social-organisation register: a scoped selector to read, a form to validate, a service to
write (dalian_minzheng.core.pages: the paged list and the POST on a record's page)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dalian_minzheng.accounts.policy import (
    ALL_ROLES,
    CITY_ADMIN_ROLES,
    SOCIAL_ORG_DECISION_ROLES,
    SOCIAL_ORG_STAFF_ROLES,
    access,
)
from dalian_minzheng.accounts.scope import may
from dalian_minzheng.core.pages import page_action, paginate
from dalian_minzheng.people.forms import attach_service_errors
from social_orgs import forms, selectors, services
from social_orgs.models import (
    AnnualInspection,
    CaseStep,
    EnforcementCase,
    EvaluationApplication,
    EvaluationStatus,
    InspectionYear,
    Listing,
    Organisation,
    ServiceProject,
)

STAFF, DECIDE = SOCIAL_ORG_STAFF_ROLES, SOCIAL_ORG_DECISION_ROLES


def _filters(form) -> dict:
    return {k: v or "" for k, v in form.cleaned_data.items()} if form.is_valid() else {}


@access(roles=ALL_ROLES)
def index(request):
    today = timezone.localdate()
    years = list(InspectionYear.objects.all()[:3])
    return render(
        request,
        "social_orgs/index.html",
        {
            "counts": selectors.overview(user=request.user),
            "progress": selectors.inspection_progress(user=request.user, years=years),
            "expiring": selectors.grades_expiring(user=request.user)[:20],
            "overdue": selectors.listing_list(user=request.user, overdue=True)[:20],
            "campaign": selectors.campaign(user=request.user, year=today.year),
        },
    )


# ---------------------------------------------------------------- registry


@access(roles=ALL_ROLES)
def organisation_list(request):
    form = forms.OrganisationFilterForm(request.GET or None)
    page, query = paginate(request, selectors.organisation_list(user=request.user, **_filters(form)))
    return render(
        request,
        "social_orgs/organisation_list.html",
        {"form": form, "page": page, "query": query, "can_write": may(request.user, roles=STAFF)},
    )


@access(roles=STAFF)
def organisation_create(request):
    form = forms.OrganisationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        division = data.pop("division")
        try:
            organisation = services.organisation_register(acting_user=request.user, division=division.code, **data)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Organisation registered."))
            return redirect("social_orgs:organisation_detail", pk=organisation.pk)
    return render(request, "social_orgs/organisation_form.html", {"form": form})


@access(roles=STAFF, model=Organisation)
def organisation_edit(request, pk: int):
    organisation = selectors.organisation_get(user=request.user, pk=pk)
    form = forms.OrganisationForm(request.POST or None, user=request.user, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in form.IDENTITY}
        try:
            services.organisation_update(acting_user=request.user, org_id=organisation.pk, **data)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("social_orgs:organisation_detail", pk=organisation.pk)
    return render(request, "social_orgs/organisation_form.html", {"form": form, "organisation": organisation})


def _organisation_context(request, organisation, **given):
    today = timezone.localdate()
    division = organisation.division_id
    page = selectors.organisation_page(organisation=organisation)
    names = selectors.category_names()
    for case in page["cases"]:
        case.category_name = names.get(case.category, case.category)
    return {
        "organisation": organisation,
        **page,
        "can_write": may(request.user, roles=STAFF, division=division),
        "can_decide": may(request.user, roles=DECIDE, division=division),
        "evaluation_bars": services.evaluation_bars(organisation, today),
        "purchase_bars": services.purchase_bars(organisation, today),
        "submit_form": given.get("submit_form") or forms.InspectionSubmitForm(initial={"year": today.year - 1}),
        "conclude_form": given.get("conclude_form") or forms.InspectionConcludeForm(),
        "rectification_form": given.get("rectification_form") or forms.RectificationReportForm(),
        "listing_form": given.get("listing_form") or forms.ListingProposeForm(),
        "evaluation_form": given.get("evaluation_form") or forms.EvaluationApplyForm(),
        "case_form": given.get("case_form") or forms.CaseOpenForm(),
        "project_form": given.get("project_form") or forms.ProjectForm(),
        "deregistration_form": given.get("deregistration_form") or forms.DeregistrationForm(),
        "resume_form": given.get("resume_form") or forms.ResumeForm(),
        "today": today,
    }


@access(roles=ALL_ROLES, model=Organisation)
def organisation_detail(request, pk: int):
    organisation = selectors.organisation_get(user=request.user, pk=pk)
    return render(request, "social_orgs/organisation_detail.html", _organisation_context(request, organisation))


def _organisation_action(request, pk, form_class, form_name, run, success):
    organisation = selectors.organisation_get(user=request.user, pk=pk)
    return page_action(
        request, organisation, page="social_orgs:organisation_detail", template="social_orgs/organisation_detail.html",
        context=_organisation_context, form_class=form_class, form_name=form_name, run=run, success=success,
    )  # fmt: skip


@access(roles=ALL_ROLES, write_roles=STAFF, model=Organisation)
def organisation_deregister(request, pk: int):
    def run(organisation, form):
        services.deregistration_advance(acting_user=request.user, org_id=organisation.pk, **form.cleaned_data)

    return _organisation_action(request, pk, forms.DeregistrationForm, "deregistration_form", run, _("Step recorded."))


@access(roles=ALL_ROLES, write_roles=DECIDE, model=Organisation)
def organisation_resume(request, pk: int):
    def run(organisation, form):
        services.organisation_resume(acting_user=request.user, org_id=organisation.pk, **form.cleaned_data)

    return _organisation_action(request, pk, forms.ResumeForm, "resume_form", run, _("Suspension ended."))


@access(roles=ALL_ROLES, write_roles=STAFF, model=Organisation)
def inspection_submit(request, pk: int):
    def run(organisation, form):
        services.inspection_submit(acting_user=request.user, org_id=organisation.pk, **form.cleaned_data)

    return _organisation_action(request, pk, forms.InspectionSubmitForm, "submit_form", run, _("Report received."))


@access(roles=ALL_ROLES, write_roles=STAFF, model=Organisation)
def listing_propose(request, pk: int):
    def run(organisation, form):
        services.listing_propose(acting_user=request.user, org_id=organisation.pk, **form.cleaned_data)

    return _organisation_action(request, pk, forms.ListingProposeForm, "listing_form", run, _("Listing proposed."))


@access(roles=ALL_ROLES, write_roles=STAFF, model=Organisation)
def evaluation_apply(request, pk: int):
    def run(organisation, form):
        application = services.evaluation_apply(acting_user=request.user, org_id=organisation.pk, **form.cleaned_data)
        return reverse("social_orgs:evaluation_detail", kwargs={"pk": application.pk})

    return _organisation_action(
        request, pk, forms.EvaluationApplyForm, "evaluation_form", run, _("Application recorded.")
    )


@access(roles=ALL_ROLES, write_roles=STAFF, model=Organisation)
def case_open(request, pk: int):
    def run(organisation, form):
        case = services.case_open(acting_user=request.user, org_id=organisation.pk, **form.cleaned_data)
        return reverse("social_orgs:case_detail", kwargs={"pk": case.pk})

    return _organisation_action(request, pk, forms.CaseOpenForm, "case_form", run, _("Case filed."))


@access(roles=ALL_ROLES, write_roles=STAFF, model=Organisation)
def project_apply(request, pk: int):
    def run(organisation, form):
        project = services.project_apply(acting_user=request.user, org_id=organisation.pk, **form.cleaned_data)
        return reverse("social_orgs:project_detail", kwargs={"pk": project.pk})

    return _organisation_action(request, pk, forms.ProjectForm, "project_form", run, _("Project application recorded."))


# ---------------------------------------------------------------- annual inspections


@access(roles=ALL_ROLES, write_roles=CITY_ADMIN_ROLES)
def inspection_years(request):
    form = forms.InspectionYearForm(request.POST or None, initial={"year": timezone.localdate().year - 1})
    if request.method == "POST" and form.is_valid():
        try:
            year = services.inspection_year_open(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("The inspection of %(y)s is open.") % {"y": year.year})
            return redirect("social_orgs:inspection_year", year=year.year)
    years = list(InspectionYear.objects.all()[:20])
    return render(
        request,
        "social_orgs/inspection_years.html",
        {
            "form": form,
            "progress": selectors.inspection_progress(user=request.user, years=years),
            "can_open": may(request.user, roles=CITY_ADMIN_ROLES),
        },
        status=400 if form.errors else 200,
    )


def _year(year: int) -> InspectionYear:
    from django.http import Http404

    found = InspectionYear.objects.filter(year=year).first()
    if found is None:
        raise Http404
    return found


@access(roles=ALL_ROLES)
def inspection_year(request, year: int):
    inspection_year = _year(year)
    tab = request.GET.get("tab", "missing")
    if tab == "submitted":
        qs = selectors.inspection_list(
            user=request.user, inspection_year=inspection_year, conclusion=request.GET.get("conclusion", ""),
            status=request.GET.get("status", ""),
        )  # fmt: skip
    else:
        qs = selectors.missing_filers(user=request.user, inspection_year=inspection_year)
    page, query = paginate(request, qs)
    return render(
        request,
        "social_orgs/inspection_year.html",
        {
            "inspection_year": inspection_year,
            "progress": selectors.inspection_progress(user=request.user, years=[inspection_year])[0],
            "tab": tab,
            "page": page,
            "query": query,
            "today": timezone.localdate(),
            "can_decide": may(request.user, roles=DECIDE),
        },
    )


@require_POST
@access(roles=DECIDE)
def inspection_propose(request, year: int):
    inspection_year = _year(year)
    try:
        n = services.inspection_propose_listings(acting_user=request.user, year=inspection_year.year)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(n)s missing or late filers proposed for the abnormal-activity list.") % {"n": n})
    return redirect("social_orgs:inspection_year", year=year)


def _inspection_action(request, pk, form_class, form_name, run, success):
    inspection = selectors.inspection_get(user=request.user, pk=pk)
    organisation = inspection.organisation
    form = form_class(request.POST)
    if form.is_valid():
        try:
            target = run(inspection, form)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(target or reverse("social_orgs:organisation_detail", kwargs={"pk": organisation.pk}))
    context = _organisation_context(request, organisation, **{form_name: form})
    context["failed_inspection"] = inspection.pk
    return render(request, "social_orgs/organisation_detail.html", context, status=400)


@require_POST
@access(roles=DECIDE, model=AnnualInspection)
def inspection_conclude(request, pk: int):
    def run(inspection, form):
        data = form.cleaned_data
        services.inspection_conclude(
            acting_user=request.user, inspection_id=inspection.pk, conclusion=data["conclusion"],
            grounds=data["grounds"], concluded_on=data["concluded_on"],
        )  # fmt: skip
        if data["open_case"]:
            case = services.case_open(
                acting_user=request.user, org_id=inspection.organisation_id, source="inspection",
                category=data["category"], facts=data["facts"] or _("Annual inspection not qualified"),
                filed_on=data["concluded_on"], inspection_id=inspection.pk,
            )  # fmt: skip
            return reverse("social_orgs:case_detail", kwargs={"pk": case.pk})
        return None

    return _inspection_action(
        request, pk, forms.InspectionConcludeForm, "conclude_form", run, _("Conclusion recorded.")
    )


@require_POST
@access(roles=STAFF, model=AnnualInspection)
def inspection_rectification(request, pk: int):
    def run(inspection, form):
        services.inspection_rectification_report(
            acting_user=request.user, inspection_id=inspection.pk, **form.cleaned_data
        )

    return _inspection_action(
        request, pk, forms.RectificationReportForm, "rectification_form", run, _("Rectification report recorded.")
    )


# ---------------------------------------------------------------- credit lists


@access(roles=ALL_ROLES)
def listing_list(request):
    form = forms.ListingFilterForm(request.GET or None)
    filters = _filters(form)
    filters["overdue"] = bool(filters.get("overdue"))
    page, query = paginate(request, selectors.listing_list(user=request.user, **filters))
    return render(
        request,
        "social_orgs/listing_list.html",
        {
            "form": form, "page": page, "query": query, "decision_form": forms.ListingDecisionForm(),
            "can_decide": may(request.user, roles=DECIDE), "today": timezone.localdate(),
        },
    )  # fmt: skip


@require_POST
@access(roles=DECIDE, model=Listing)
def listing_decide(request, pk: int):
    listing = selectors.listing_get(user=request.user, pk=pk)
    form = forms.ListingDecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["action"] == "confirm":
                services.listing_confirm(acting_user=request.user, listing_id=listing.pk, listed_on=data["on"])
            elif data["action"] == "dismiss":
                services.listing_dismiss(acting_user=request.user, listing_id=listing.pk, reason=data["reason"])
            else:
                services.listing_remove(
                    acting_user=request.user, listing_id=listing.pk, removed_on=data["on"], reason=data["reason"]
                )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/social-orgs/") else reverse("social_orgs:listing_list"))


@access(public=True)
def public_lookup(request):
    """公示查询 without login: name or credit code → status and credit lists (no personal data)."""
    form = forms.PublicLookupForm(request.GET or None)
    results = selectors.public_lookup(form.cleaned_data["q"]) if form.is_valid() else []
    return render(
        request, "social_orgs/public_lookup.html", {"form": form, "results": results, "searched": form.is_bound}
    )


# ---------------------------------------------------------------- evaluations


@access(roles=ALL_ROLES)
def evaluation_list(request):
    form = forms.EvaluationFilterForm(request.GET or None)
    page, query = paginate(request, selectors.evaluation_list(user=request.user, **_filters(form)))
    return render(request, "social_orgs/evaluation_list.html", {"form": form, "page": page, "query": query})


def _evaluation_context(request, application, **given):
    sheet = services.score_sheet(application.organisation.org_type, application.applied_on)
    division = application.division_id
    return {
        "application": application,
        "sheet": [(area, application.scores.get(area.code)) for area in sheet],
        "score_form": given.get("score_form")
        or forms.EvaluationScoreForm(areas=sheet, initial_scores=application.scores),
        "committee_form": given.get("committee_form")
        or forms.EvaluationCommitteeForm(initial={"grade": application.proposed_grade}),
        "notice_form": given.get("notice_form") or forms.EvaluationNoticeForm(),
        "finalize_form": given.get("finalize_form") or forms.EvaluationFinalizeForm(),
        "can_write": may(request.user, roles=STAFF, division=division),
        "can_decide": may(request.user, roles=DECIDE, division=division),
        "statuses": EvaluationStatus,
    }


@access(roles=ALL_ROLES, model=EvaluationApplication)
def evaluation_detail(request, pk: int):
    application = selectors.evaluation_get(user=request.user, pk=pk)
    return render(request, "social_orgs/evaluation_detail.html", _evaluation_context(request, application))


def _evaluation_action(request, pk, form_class, form_name, run, success, form_kwargs=None):
    application = selectors.evaluation_get(user=request.user, pk=pk)
    if form_kwargs is not None:
        form_kwargs = form_kwargs(application)
    return page_action(
        request, application, page="social_orgs:evaluation_detail", template="social_orgs/evaluation_detail.html",
        context=_evaluation_context, form_class=form_class, form_name=form_name, run=run, success=success,
        form_kwargs=form_kwargs,
    )  # fmt: skip


@access(roles=ALL_ROLES, write_roles=STAFF, model=EvaluationApplication)
def evaluation_score(request, pk: int):
    def run(application, form):
        services.evaluation_score(acting_user=request.user, application_id=application.pk, scores=form.cleaned_data)

    def areas(application):
        return {"areas": services.score_sheet(application.organisation.org_type, application.applied_on)}

    return _evaluation_action(request, pk, forms.EvaluationScoreForm, "score_form", run, _("Scores recorded."), areas)


@access(roles=ALL_ROLES, write_roles=DECIDE, model=EvaluationApplication)
def evaluation_committee(request, pk: int):
    def run(application, form):
        services.evaluation_committee(acting_user=request.user, application_id=application.pk, **form.cleaned_data)

    return _evaluation_action(
        request, pk, forms.EvaluationCommitteeForm, "committee_form", run, _("Decision recorded.")
    )


@access(roles=ALL_ROLES, write_roles=DECIDE, model=EvaluationApplication)
def evaluation_notice(request, pk: int):
    def run(application, form):
        services.evaluation_notice(acting_user=request.user, application_id=application.pk, **form.cleaned_data)

    return _evaluation_action(request, pk, forms.EvaluationNoticeForm, "notice_form", run, _("Notice recorded."))


@access(roles=ALL_ROLES, write_roles=DECIDE, model=EvaluationApplication)
def evaluation_finalize(request, pk: int):
    def run(application, form):
        services.evaluation_finalize(acting_user=request.user, application_id=application.pk, **form.cleaned_data)

    return _evaluation_action(request, pk, forms.EvaluationFinalizeForm, "finalize_form", run, _("Saved."))


# ---------------------------------------------------------------- enforcement


@access(roles=ALL_ROLES)
def case_list(request):
    form = forms.CaseFilterForm(request.GET or None)
    page, query = paginate(request, selectors.case_list(user=request.user, **_filters(form)))
    names = selectors.category_names()
    for case in page:
        case.category_name = names.get(case.category, case.category)
    return render(
        request,
        "social_orgs/case_list.html",
        {"form": form, "page": page, "query": query, "can_write": may(request.user, roles=STAFF)},
    )


@access(roles=STAFF)
def group_case_create(request):
    """A case against an unregistered group (its decision is a ban, 取缔)."""
    form = forms.CaseOpenForm(request.POST or None, user=request.user, group=True)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["division"] = data.pop("division").code
        try:
            case = services.case_open(acting_user=request.user, **data)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Case filed."))
            return redirect("social_orgs:case_detail", pk=case.pk)
    return render(request, "social_orgs/group_case_form.html", {"form": form})


def _case_context(request, case, **given):
    order = list(CaseStep.values)
    next_step = None if case.step == CaseStep.CLOSED else order[order.index(case.step) + 1]
    return {
        "case": case,
        "steps": list(case.steps.select_related("actor")),
        "category": selectors.category_names().get(case.category, case.category),
        "next_step": next_step,
        "next_label": CaseStep(next_step).label if next_step else "",
        "step_form": given.get("step_form") or forms.CaseStepForm(initial={"step": next_step}),
        "verify_form": given.get("verify_form") or forms.CaseVerifyForm(),
        "can_write": may(request.user, roles=STAFF, division=case.division_id),
        "can_decide": may(request.user, roles=DECIDE, division=case.division_id),
        "may_close_unfounded": case.step in (CaseStep.INVESTIGATING, CaseStep.NOTIFIED),
    }


@access(roles=ALL_ROLES, model=EnforcementCase)
def case_detail(request, pk: int):
    case = selectors.case_get(user=request.user, pk=pk)
    return render(request, "social_orgs/case_detail.html", _case_context(request, case))


def _case_action(request, pk, form_class, form_name, run, success):
    case = selectors.case_get(user=request.user, pk=pk)
    return page_action(
        request, case, page="social_orgs:case_detail", template="social_orgs/case_detail.html",
        context=_case_context, form_class=form_class, form_name=form_name, run=run, success=success,
    )  # fmt: skip


@access(roles=ALL_ROLES, write_roles=STAFF, model=EnforcementCase)
def case_step(request, pk: int):
    def run(case, form):
        services.case_advance(acting_user=request.user, case_id=case.pk, **form.cleaned_data)

    return _case_action(request, pk, forms.CaseStepForm, "step_form", run, _("Step recorded."))


@access(roles=ALL_ROLES, write_roles=STAFF, model=EnforcementCase)
def case_verify(request, pk: int):
    def run(case, form):
        services.case_verify_rectification(acting_user=request.user, case_id=case.pk, **form.cleaned_data)

    return _case_action(request, pk, forms.CaseVerifyForm, "verify_form", run, _("Verification recorded."))


@access(roles=ALL_ROLES)
def campaign(request):
    today = timezone.localdate()
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else today.year
    return render(
        request,
        "social_orgs/campaign.html",
        {"campaign": selectors.campaign(user=request.user, year=year), "years": range(today.year, today.year - 8, -1)},
    )


# ---------------------------------------------------------------- purchased services


@access(roles=ALL_ROLES)
def project_list(request):
    form = forms.ProjectFilterForm(request.GET or None)
    page, query = paginate(request, selectors.project_list(user=request.user, **_filters(form)))
    return render(
        request,
        "social_orgs/project_list.html",
        {"form": form, "page": page, "query": query, "totals": selectors.project_totals(user=request.user)},
    )


def _project_context(request, project, **given):
    return {
        "project": project,
        "payments": list(project.payments.all()),
        "paid": sum((p.amount for p in project.payments.all()), 0),
        "step_form": given.get("step_form") or forms.ProjectStepForm(),
        "purchase_bars": services.purchase_bars(project.organisation, timezone.localdate()),
        "can_write": may(request.user, roles=STAFF, division=project.division_id),
        "can_decide": may(request.user, roles=DECIDE, division=project.division_id),
    }


PROJECT_STEPS = {
    "review": lambda user, p, d: services.project_review(
        acting_user=user, project_id=p.pk, score=d["score"], approved=bool(d["approved"])
    ),
    "notice": lambda user, p, d: services.project_notice(acting_user=user, project_id=p.pk, notice_from=d["on"]),
    "contract": lambda user, p, d: services.project_contract(
        acting_user=user, project_id=p.pk, contracted_on=d["on"], contract_number=d["contract_number"]
    ),
    "pay": lambda user, p, d: services.project_pay(
        acting_user=user, project_id=p.pk, amount=d["amount"], paid_on=d["on"]
    ),
    "interim": lambda user, p, d: services.project_interim(
        acting_user=user, project_id=p.pk, on=d["on"], findings=d["findings"]
    ),
    "evaluate": lambda user, p, d: services.project_evaluate(
        acting_user=user, project_id=p.pk, on=d["on"], score=d["score"]
    ),
    "audit": lambda user, p, d: services.project_audit(
        acting_user=user, project_id=p.pk, on=d["on"], findings=d["findings"]
    ),
}


@access(roles=ALL_ROLES, model=ServiceProject)
def project_detail(request, pk: int):
    project = selectors.project_get(user=request.user, pk=pk)
    return render(request, "social_orgs/project_detail.html", _project_context(request, project))


@access(roles=ALL_ROLES, write_roles=STAFF, model=ServiceProject)
def project_step(request, pk: int):
    def run(project, form):
        PROJECT_STEPS[form.cleaned_data["action"]](request.user, project, form.cleaned_data)

    project = selectors.project_get(user=request.user, pk=pk)
    return page_action(
        request, project, page="social_orgs:project_detail", template="social_orgs/project_detail.html",
        context=_project_context, form_class=forms.ProjectStepForm, form_name="step_form", run=run,
        success=_("Step recorded."),
    )  # fmt: skip
