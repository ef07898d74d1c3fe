from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from assistance.petitions import selectors, services
from assistance.petitions.filters import PetitionFilter
from assistance.petitions.forms import AssignForm, CloseForm, PetitionRegisterForm, ResolveForm
from assistance.petitions.models import Petition, PetitionStatus
from dalian_minzheng.accounts.policy import ALL_ROLES, STAFF_WRITERS, access
from dalian_minzheng.accounts.scope import may

PAGE_SIZE = 50


def _apply_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form (field errors where the field exists)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@access(roles=ALL_ROLES)
def petition_list(request):
    qs = selectors.petition_list(user=request.user)
    filterset = PetitionFilter(request.GET or None, queryset=qs, user=request.user)
    petitions = filterset.qs if filterset.is_bound and filterset.is_valid() else qs
    page = Paginator(petitions, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "petitions/list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "today": timezone.localdate(),
            "can_write": may(request.user, roles=STAFF_WRITERS),
        },
    )


@access(roles=ALL_ROLES)
def petition_dashboard(request):
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    if not 1900 <= year <= 2100:  # ?year=-1 made date() raise (found by tests/security fuzzing)
        year = timezone.localdate().year
    rows = selectors.petition_counts(user=request.user, year=year)
    totals = {status: sum(r.by_status[status] for r in rows) for status in PetitionStatus.values}
    return render(
        request,
        "petitions/dashboard.html",
        {
            "year": year,
            "rows": rows,
            "statuses": PetitionStatus.choices,
            "totals_in_order": [totals[status] for status in PetitionStatus.values],
            "total_overdue": sum(r.overdue for r in rows),
            "total_resolved": sum(r.resolved_in_year for r in rows),
            "total_all": sum(totals.values()),
        },
    )


@access(roles=STAFF_WRITERS)
@require_http_methods(["GET", "POST"])
def petition_create(request):
    form = PetitionRegisterForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            petition = services.petition_register(
                acting_user=request.user,
                division=data["division"],
                petitioner=data["petitioner_id_number"],
                petitioner_name=data["petitioner_name"] or "",
                petitioner_phone=data["petitioner_phone"] or "",
                channel=data["channel"],
                received_on=data["received_on"],
                subject=data["subject"],
                content=data["content"],
                case=data["case_id"],
                application=data["application_id"],
                due_working_days=data["due_working_days"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Petition %(number)s registered.") % {"number": petition.number})
            return redirect("petitions:detail", pk=petition.pk)
    return render(request, "petitions/form.html", {"form": form})


def _detail_context(request, petition, **forms):
    can_write = may(request.user, roles=STAFF_WRITERS)
    context = {
        "petition": petition,
        "today": timezone.localdate(),
        "can_write": can_write,
        "assign_form": forms.get("assign_form") or AssignForm(staff=selectors.assignable_staff(petition=petition)),
        "resolve_form": forms.get("resolve_form") or ResolveForm(),
        "close_form": forms.get("close_form") or CloseForm(),
        "history": selectors.petition_history(petition=petition),
    }
    return context


@access(roles=ALL_ROLES, model=Petition)
def petition_detail(request, pk: int):
    petition = selectors.petition_get(user=request.user, pk=pk)
    return render(request, "petitions/detail.html", _detail_context(request, petition))


def _action(request, pk: int, form_class, form_name: str, run, form_kwargs=None):
    """Shared shape of the POST actions: load scoped (404 elsewhere), validate, call the service, redirect."""
    petition = selectors.petition_get(user=request.user, pk=pk)
    if request.method != "POST":
        return redirect("petitions:detail", pk=petition.pk)
    form = form_class(request.POST, **(form_kwargs(petition) if form_kwargs else {})) if form_class else None
    if form is None or form.is_valid():
        try:
            run(petition, form.cleaned_data if form else {})
        except ValidationError as exc:
            if form is None:
                messages.error(request, " ".join(exc.messages))
                return redirect("petitions:detail", pk=petition.pk)
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("petitions:detail", pk=petition.pk)
    context = _detail_context(request, petition, **{form_name: form})
    return render(request, "petitions/detail.html", context, status=400)


@access(roles=ALL_ROLES, write_roles=STAFF_WRITERS, model=Petition)
def petition_assign(request, pk: int):
    return _action(
        request,
        pk,
        AssignForm,
        "assign_form",
        lambda p, d: services.petition_assign(petition=p, assignee=d["assignee"], acting_user=request.user),
        form_kwargs=lambda p: {"staff": selectors.assignable_staff(petition=p)},
    )


@access(roles=ALL_ROLES, write_roles=STAFF_WRITERS, model=Petition)
def petition_start(request, pk: int):
    return _action(request, pk, None, "", lambda p, d: services.petition_start(petition=p, acting_user=request.user))


@access(roles=ALL_ROLES, write_roles=STAFF_WRITERS, model=Petition)
def petition_resolve(request, pk: int):
    return _action(
        request,
        pk,
        ResolveForm,
        "resolve_form",
        lambda p, d: services.petition_resolve(
            petition=p,
            acting_user=request.user,
            resolution=d["resolution"],
            resolved_on=d["resolved_on"],
            satisfaction=d["satisfaction"],
        ),
    )


@access(roles=ALL_ROLES, write_roles=STAFF_WRITERS, model=Petition)
def petition_close(request, pk: int):
    return _action(
        request,
        pk,
        CloseForm,
        "close_form",
        lambda p, d: services.petition_close(petition=p, acting_user=request.user, reason=d["reason"]),
    )
