"""Thin views: parse the request, call a selector or a service, render. Every view declares its policy."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assistance import forms, listing, selectors, services, tasks
from assistance.models import (
    Application,
    Case,
    CaseReview,
    PaymentRoster,
    ReviewOutcome,
    WorkdayOverride,
)
from dalian_minzheng.accounts.models import Role
from dalian_minzheng.accounts.policy import ADMINS, ALL_ROLES, CITY, access
from dalian_minzheng.accounts.scope import scope_prefix
from dalian_minzheng.audit.models import AccessKind
from dalian_minzheng.audit.services import record_access

CASEWORK = frozenset({Role.CASEWORKER, Role.DISTRICT_ADMIN})


def _exports_available() -> bool:
    """The spreadsheet engine's export button, once the engine has registered assistance's export kinds."""
    try:
        from dalian_minzheng.spreadsheets.exports import get_export

        get_export("assistance.cases")
    except (ImportError, KeyError):
        return False
    return True


PAGE_SIZE = 50


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


class DeferredJoinPaginator(Paginator):
    """Pages of a joined list without joining the rows that are skipped: the page's ids come first from the
    filtered, ordered query (OFFSET over ids only), then the 50 rows with their joins. One query more, constant."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.object_list.filter(pk__in=ids)} if ids else {}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def _page(request, queryset):
    paginator = DeferredJoinPaginator(queryset, PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def _division_options(user) -> str:
    """The division filter's suggestions as <option>s for the user's scope, cached as HTML:
    building 160 of them cost 2 ms a page, more than the rest of the form."""
    prefix = scope_prefix(user)
    if prefix is None:
        return ""
    key = selectors.division_options_key(prefix)
    html = cache.get(key)
    if html is None:
        choices = selectors.division_filter_choices(prefix=prefix)
        html = format_html_join("", '<option value="{}">{}</option>', choices)
        # an hour: apps.py clears it when a division is saved, and set-based division imports wait at most that
        cache.set(key, html, 3600)
    return html


def _querystring(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


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
        "open_notice": next((n for n in notices if n.status == "open"), None),
        "missing_notice": services.missing_documents_notice(application),
        "case": Case.objects.filter(application=application).first(),
        "today": timezone.localdate(),
        **_action_forms(application),
        **bound_forms,
    }
    return render(request, "assistance/application_detail.html", context)


ACTIONS = {
    "documents",
    "first_review",
    "notice",
    "objection",
    "resolve",
    "submit",
    "extend",
    "withdraw",
    "approve",
    "refuse",
    "refusal_notice",
}
# The page's form of each action that has one of its own: when the action fails, the page is shown again with that
# form bound to what was typed. (An objection's outcome is a small form per objection: its errors go to a message.)
ACTION_FORM_NAMES = {
    "documents": "documents_form",
    "first_review": "first_review_form",
    "objection": "objection_form",
    "extend": "reason_form",
    "withdraw": "reason_form",
    "approve": "approve_form",
    "refuse": "refuse_form",
    "refusal_notice": "refusal_notice_form",
}


@require_POST
@access(roles=CASEWORK, write_roles=CASEWORK, model=Application)
def application_action(request, pk: int):
    """One endpoint for the workflow buttons; each action calls its service, which checks role and state."""
    application = selectors.application_get(user=request.user, pk=pk)
    action = request.POST.get("action")
    user = request.user
    form = None
    try:
        if action == "documents":
            form = forms.DocumentsForm(request.POST)
            form.is_valid()
            services.application_update_documents(
                application_id=pk, acting_user=user, missing_documents=form.cleaned_data.get("missing", [])
            )
        elif action == "first_review":
            form = forms.FirstReviewForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Write the first review opinion."))
            services.application_first_review(
                application_id=pk,
                acting_user=user,
                opinion=form.cleaned_data["opinion"],
                recommend_approval=form.cleaned_data["recommend"] == "approve",
            )
        elif action == "notice":
            services.notice_start(application_id=pk, acting_user=user)
        elif action == "objection":
            form = forms.ObjectionForm(request.POST)
            notice = application.notices.filter(status="open").order_by("-id").first()
            if not form.is_valid() or notice is None:
                raise ValidationError(_("Write down the objection."))
            services.notice_record_objection(
                notice_id=notice.pk,
                acting_user=user,
                content=form.cleaned_data["content"],
                received_on=form.cleaned_data["received_on"],
            )
        elif action == "resolve":
            form = forms.ObjectionResolveForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose an outcome and write down the reasons."))
            objection_id = form.cleaned_data["objection"]
            if not application.notices.filter(objections__id=objection_id).exists():
                raise PermissionDenied
            services.objection_resolve(
                objection_id=objection_id,
                acting_user=user,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        elif action == "submit":
            services.application_submit(application_id=pk, acting_user=user)
        elif action in ("extend", "withdraw"):
            form = forms.ReasonForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Give the reason."))
            service = services.application_extend if action == "extend" else services.application_withdraw
            service(application_id=pk, acting_user=user, reason=form.cleaned_data["reason"])
        elif action == "approve":
            form = forms.ApproveForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Check the amount."))
            case = services.application_approve(
                application_id=pk,
                acting_user=user,
                amount=form.cleaned_data["amount"],
                unstable_income=form.cleaned_data["unstable_income"],
                bank_name=form.cleaned_data["bank_name"],
                bank_account=form.cleaned_data["bank_account"],
            )
            messages.success(request, _("Approved: %(amount)s yuan per month.") % {"amount": case.monthly_amount})
            return redirect("assistance:case_detail", pk=case.pk)
        elif action == "refuse":
            form = forms.RefuseForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Write the reasons for refusal."))
            services.application_refuse(application_id=pk, acting_user=user, reasons=form.cleaned_data["reasons"])
        elif action == "refusal_notice":
            form = forms.RefusalNoticeForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Enter the date the notice was issued."))
            services.application_issue_refusal_notice(
                application_id=pk, acting_user=user, issued_on=form.cleaned_data["issued_on"]
            )
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as exc:
        if form is not None and action in ACTION_FORM_NAMES:
            form.add_error(None, _errors(exc))
            return _render_application(request, application, **{ACTION_FORM_NAMES[action]: form})
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Saved."))
    return redirect("assistance:application_detail", pk=pk)


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


# --- cases ----------------------------------------------------------------------------------------------------


@access(roles=ALL_ROLES)
def case_list(request):
    form = forms.CaseFilterForm(request.GET or None)
    page = selectors.case_page(
        user=request.user, filters=forms.list_filters(form), number=listing.page_number(request.GET.get("page"))
    )
    return render(
        request,
        "assistance/case_list.html",
        {
            "form": form,
            "page": page,
            "division_options": _division_options(request.user),
            "querystring": _querystring(request),
            "today": timezone.localdate(),
            "export_available": _exports_available(),
        },
    )


@access(roles=ALL_ROLES, write_roles=CASEWORK, model=Case)
def case_detail(request, pk: int):
    case = selectors.case_get(user=request.user, pk=pk)
    form = forms.ReasonForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if not form.is_valid():
                raise ValidationError(_("Give the reason."))
            if action == "review":
                services.case_open_review(
                    case_id=pk, reason=form.cleaned_data["reason"], acting_user=request.user, trigger="change_reported"
                )
            elif action == "stop":
                services.case_stop(case_id=pk, acting_user=request.user, reason=form.cleaned_data["reason"])
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as exc:
            form.add_error(None, _errors(exc))  # shown again with what was typed
        else:
            messages.success(request, _("Saved."))
            return redirect("assistance:case_detail", pk=pk)
    context = {
        "case": case,
        "application": case.application,
        "timeline": selectors.application_timeline(application=case.application),
        "amounts": selectors.case_amount_history(case=case),
        "reviews": selectors.case_reviews(case=case),
        "payments": case.payments.order_by("-month")[:24],
        "reason_form": form,
    }
    return render(request, "assistance/case_detail.html", context)


@access(roles=ALL_ROLES)
def review_list(request):
    on = timezone.localdate()
    page = _page(request, selectors.reviews_due(user=request.user, on=on))
    return render(request, "assistance/review_list.html", {"page": page, "today": on})


@access(roles=ALL_ROLES, write_roles=CASEWORK, model=CaseReview)
def review_detail(request, pk: int):
    review = selectors.review_get(user=request.user, pk=pk)
    case = selectors.case_get(user=request.user, pk=review.case_id)
    form = forms.ReviewDecisionForm(
        request.POST or None,
        initial={"household_size": case.household_size, "income_per_capita": case.monthly_income_per_capita},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.case_decide_review(
                review_id=pk,
                acting_user=request.user,
                outcome=data["outcome"],
                reason=data["reason"],
                household_size=data["household_size"],
                income_per_capita=data["income_per_capita"],
                new_amount=data["new_amount"],
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("Review decided."))
            return redirect("assistance:case_detail", pk=case.pk)
    return render(
        request,
        "assistance/review_detail.html",
        {"review": review, "case": case, "form": form, "outcomes": ReviewOutcome},
    )


# --- standards and working days -------------------------------------------------------------------------------


@access(roles=ALL_ROLES, write_roles=CITY)
def standard_list(request):
    form = forms.StandardForm(request.POST or None, prefix="std") if request.method == "POST" else None
    band_form = None
    if request.method == "POST" and request.POST.get("kind") == "band":
        band_form = forms.BandForm(request.POST, prefix="band")
        form = None
        if band_form.is_valid():
            data = band_form.cleaned_data
            try:
                services.band_create(
                    acting_user=request.user,
                    programme_id=data["programme"].pk,
                    effective_from=data["effective_from"],
                    income_below=data["income_below"],
                    amount=data["amount"],
                    division_code=data["division"] or None,
                )
            except ValidationError as exc:
                band_form.add_error(None, _errors(exc))
            else:
                messages.success(request, _("Band added."))
                return redirect("assistance:standard_list")
    elif form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            services.standard_create(
                acting_user=request.user,
                programme_id=data["programme"].pk,
                amount=data["amount"],
                effective_from=data["effective_from"],
                division_code=data["division"] or None,
                care_level=data["care_level"],
                base_programme_id=data["base_programme"].pk if data["base_programme"] else None,
                multiplier=data["multiplier"],
                note=data["note"],
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("Standard added."))
            return redirect("assistance:standard_list")
    programme_id = request.GET.get("programme")
    division = request.GET.get("division") or None
    context = {
        "standards": selectors.standards(
            programme_id=int(programme_id) if programme_id and programme_id.isdigit() else None,
            division_code=division,
        ),
        "bands": selectors.bands(),
        "programmes": selectors.programmes(),
        "form": form or forms.StandardForm(prefix="std"),
        "band_form": band_form or forms.BandForm(prefix="band"),
        "can_edit": request.user.is_superuser or request.user.role == Role.CITY_ADMIN,
    }
    return render(request, "assistance/standard_list.html", context)


@access(roles=ALL_ROLES, write_roles=CITY)
def workday_list(request):
    form = forms.WorkdayOverrideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.workday_override_set(acting_user=request.user, **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("assistance:workday_list")
    return render(
        request,
        "assistance/workday_list.html",
        {
            "form": form,
            "overrides": WorkdayOverride.objects.order_by("-date")[:200],
            "can_edit": request.user.is_superuser or request.user.role == Role.CITY_ADMIN,
        },
    )


# --- payment rosters ------------------------------------------------------------------------------------------


ROSTER_READERS = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.AUDITOR})


@access(roles=ROSTER_READERS, write_roles=ADMINS)
def roster_list(request):
    form = forms.RosterBuildForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        month = form.cleaned_data["month"].replace(day=1)
        district = form.cleaned_data["district"]
        if not selectors.can_build_roster(user=request.user, district_code=district):
            raise PermissionDenied
        user_id = request.user.pk
        transaction.on_commit(lambda: tasks.build_roster.delay(month.isoformat(), district, user_id))
        messages.success(request, _("The roster is being built; reload in a moment."))
        return redirect("assistance:roster_list")
    month_param = request.GET.get("month")
    try:
        month = dt.date.fromisoformat(month_param + "-01") if month_param else None
    except ValueError:
        month = None
    context = {
        "form": form,
        "rosters": _page(request, selectors.rosters(user=request.user)),
        "month": month,
        "totals": selectors.month_totals(user=request.user, month=month) if month else [],
        "can_build": request.user.is_superuser or request.user.role in ADMINS,
    }
    return render(request, "assistance/roster_list.html", context)


@access(roles=ROSTER_READERS, model=PaymentRoster)
def roster_detail(request, pk: int):
    roster = selectors.roster_get(user=request.user, pk=pk)
    page = _page(request, selectors.roster_payments(roster=roster))
    return render(
        request,
        "assistance/roster_detail.html",
        {"roster": roster, "totals": selectors.roster_totals(roster=roster), "page": page},
    )


@access(roles=ROSTER_READERS, model=PaymentRoster)
def roster_export(request, pk: int):
    """The bank file: full ID numbers (the bank needs them), so only admins and the auditor, and the export is
    recorded in the access log."""
    roster = selectors.roster_get(user=request.user, pk=pk)
    buffer = io.BytesIO()
    rows = services.write_roster_xlsx(roster=roster, target=buffer)
    record_access(
        user=request.user,
        kind=AccessKind.EXPORT,
        obj=roster,
        detail={"kind": "assistance.roster_bank", "month": f"{roster.month:%Y-%m}", "district": roster.district_id},
        row_count=rows,
        request=request,
    )
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="roster-{roster.district_id}-{roster.month:%Y-%m}.xlsx"'
    return response
