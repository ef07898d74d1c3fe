"""The dashboard and the application pages: list, intake form, detail (with its action forms), home visit, overdue."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance import forms, listing, selectors, services
from assistance.models import (
    Application,
    Case,
    NoticeStatus,
)
from assistance.views.common import (
    CASEWORK,
    _division_options,
    _errors,
    _exports_available,
    _page,
    _querystring,
)
from dalian_minzheng.accounts.policy import ALL_ROLES, access

# --- dashboard ------------------------------------------------------------------------------------------------


@access(roles=ALL_ROLES)
def index(request):
    today = timezone.localdate()
    context = {
        "stats": selectors.dashboard(user=request.user, today=today),
        "overdue_districts": selectors.overdue_counts(user=request.user, level=2, today=today),
        "today": today,
    }
    return render(request, "assistance/index.html", context)


# --- applications ---------------------------------------------------------------------------------------------


@access(roles=ALL_ROLES)
def application_list(request):
    form = forms.ApplicationFilterForm(request.GET or None)
    page = selectors.application_page(
        user=request.user, filters=forms.list_filters(form), number=listing.page_number(request.GET.get("page"))
    )
    return render(
        request,
        "assistance/application_list.html",
        {
            "form": form,
            "page": page,
            "division_options": _division_options(request.user),
            "querystring": _querystring(request),
            "today": timezone.localdate(),
            "export_available": _exports_available(),
        },
    )


@access(roles=ALL_ROLES, write_roles=CASEWORK)
def application_create(request):
    form = forms.ApplicationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                household = services.household_for_applicant(
                    acting_user=request.user,
                    division_code=data["division"],
                    id_number=data["id_number"],
                    name=data["name"],
                    phone=data["phone"],
                    address=data["address"],
                    hukou_type=data["hukou_type"],
                    members=data["members"],
                )
                application = services.application_register(
                    acting_user=request.user,
                    household_id=household.pk,
                    programme_id=data["programme"].pk,
                    documents_provided=data["documents"],
                    division_code=data["division"],
                    accepted_on=data["accepted_on"],
                    care_level=data["care_level"],
                    agent_name=data["agent_name"],
                    related_to_staff=data["related_to_staff"],
                    related_staff_note=data["related_staff_note"],
                )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("Application accepted."))
            return redirect("assistance:application_detail", pk=application.pk)
    return render(request, "assistance/application_form.html", {"form": form})


def _action_forms(application: Application) -> dict:
    return {
        "documents_form": forms.DocumentsForm(initial={"missing": application.missing_documents.splitlines()}),
        "first_review_form": forms.FirstReviewForm(),
        "objection_form": forms.ObjectionForm(),
        "resolve_form": forms.ObjectionResolveForm(),
        "reason_form": forms.ReasonForm(),
        "approve_form": forms.ApproveForm(),
        "refuse_form": forms.RefuseForm(),
        "refusal_notice_form": forms.RefusalNoticeForm(),
    }


@access(roles=ALL_ROLES, write_roles=CASEWORK, model=Application)
def application_detail(request, pk: int):
    return _render_application(request, selectors.application_get(user=request.user, pk=pk))


def _render_application(request, application: Application, **bound_forms):
    """The application page; `bound_forms` replace the empty action forms (a failed action shows its input again
    with the errors)."""
    notices = list(application.notices.prefetch_related("objections").order_by("-id"))
    context = {
        "application": application,
        "timeline": selectors.application_timeline(application=application),
        "visits": selectors.application_visits(application=application),
        "notices": notices,
        "open_notice": next((n for n in notices if n.status == NoticeStatus.OPEN), None),
        "missing_notice": services.missing_documents_notice(application),
        "case": Case.objects.filter(application=application).first(),
        "today": timezone.localdate(),
        **_action_forms(application),
        **bound_forms,
    }
    return render(request, "assistance/application_detail.html", context)


@access(roles=ALL_ROLES, write_roles=CASEWORK, model=Application)
def application_visit(request, pk: int):
    application = selectors.application_get(user=request.user, pk=pk)
    members = [
        m.person
        for m in application.household.members.filter(left_on__isnull=True).select_related("person").order_by("id")
    ]
    form = forms.VisitForm(request.POST or None)
    incomes = forms.IncomeFormSet(request.POST or None, form_kwargs={"members": members}, prefix="income")
    if request.method == "POST" and form.is_valid() and incomes.is_valid():
        rows = [
            (int(f.cleaned_data["person"]), f.cleaned_data["category"], f.cleaned_data["monthly_amount"])
            for f in incomes
            if f.cleaned_data.get("monthly_amount")
        ]
        data = form.cleaned_data
        try:
            services.application_record_visit(
                application_id=pk,
                acting_user=request.user,
                visited_on=data["visited_on"],
                staff_names=data["staff_names"],
                incomes=rows,
                vehicles=data["vehicles"],
                homes=data["homes"],
                has_business=data["has_business"],
                deposits=data["deposits"] or Decimal("0"),
                living_conditions=data["living_conditions"],
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("Home visit recorded."))
            return redirect("assistance:application_detail", pk=pk)
    return render(
        request,
        "assistance/visit_form.html",
        {"application": application, "form": form, "incomes": incomes, "members": members},
    )


@access(roles=ALL_ROLES)
def overdue(request):
    today = timezone.localdate()
    page = _page(request, selectors.overdue_applications(user=request.user, today=today))
    context = {
        "page": page,
        "today": today,
        "by_street": selectors.overdue_counts(user=request.user, level=3, today=today),
        "by_district": selectors.overdue_counts(user=request.user, level=2, today=today),
    }
    return render(request, "assistance/overdue.html", context)
