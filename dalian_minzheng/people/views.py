"""Person and household pages. Thin: forms validate, services write, selectors read (always scoped).

Who may see a full ID number ("显示完整号码"): every role that may open the person at all — caseworkers and
district admins inside their own area, the city admin and the auditor city-wide. Each reveal writes an
`AccessEvent(kind=reveal_id)` in the same request, so the auditor's own reveals are on the trail too. Lists,
search results and exports only ever show the masked number.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from dalian_minzheng.accounts.policy import ALL_ROLES, STAFF_WRITERS, access
from dalian_minzheng.accounts.scope import may, scoped
from dalian_minzheng.audit.models import AccessKind
from dalian_minzheng.audit.services import record_access
from dalian_minzheng.people import selectors, services
from dalian_minzheng.people.forms import (
    AddMemberForm,
    HouseholdCreateForm,
    LeaveForm,
    PersonForm,
    attach_service_errors,
)
from dalian_minzheng.people.models import Household, HouseholdMember, Person

PAGE_SIZE = 50
# Roles allowed to reveal a full ID number of a person they can see (see the module docstring).
REVEAL_ROLES = ALL_ROLES


def _page(request, queryset):
    paginator = Paginator(queryset, PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


@access(roles=ALL_ROLES)
def person_list(request):
    query = request.GET.get("q", "").strip()
    persons = selectors.person_search(user=request.user, query=query)
    page = _page(request, persons)
    return render(
        request,
        "people/person_list.html",
        {"page": page, "query": query, "term": selectors.classify_query(query)},
    )


@access(roles=ALL_ROLES, model=Person)
def person_detail(request, pk: int):
    person = selectors.person_get(user=request.user, pk=pk)
    return render(
        request,
        "people/person_detail.html",
        {
            "person": person,
            "memberships": selectors.person_memberships(person=person),
            "can_reveal": may(request.user, roles=REVEAL_ROLES),
        },
    )


@access(roles=REVEAL_ROLES, model=Person)
def person_reveal_id(request, pk: int):
    """The audited "show full number": a GET (auditors may use it) that writes an AccessEvent before answering."""
    person = selectors.person_get(user=request.user, pk=pk)
    record_access(
        user=request.user,
        kind=AccessKind.REVEAL_ID,
        obj=person,
        detail={"division": person.division_id},
        request=request,
    )
    if request.htmx:
        return render(request, "people/_id_number.html", {"person": person, "revealed": True})
    return render(
        request,
        "people/person_detail.html",
        {
            "person": person,
            "memberships": selectors.person_memberships(person=person),
            "revealed": True,
            "can_reveal": True,
        },
    )


# The person form's fields, as the services take them (create and edit share the form and its handling).
PERSON_FIELDS = ("id_number", "name", "division", "phone", "hukou_type", "address")


@access(roles=STAFF_WRITERS)
def person_create(request):
    return _person_form(request, person=None)


@access(roles=STAFF_WRITERS, model=Person)
def person_edit(request, pk: int):
    return _person_form(request, person=selectors.person_get(user=request.user, pk=pk))


def _person_form(request, *, person: Person | None):
    """Register a person (person=None) or edit one: same form, same error handling, the matching service."""
    editing = person is not None
    initial = {field: getattr(person, field) for field in PERSON_FIELDS} if editing else {}
    if editing:
        initial["division"] = person.division_id  # the form's choice is the division code
    form = PersonForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = {field: form.cleaned_data[field] for field in PERSON_FIELDS}
        try:
            if not editing:
                person = services.person_create(acting_user=request.user, **values)
            else:
                services.person_update(acting_user=request.user, person=person, **values)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            done = _("The changes have been saved.") if editing else _("The person has been registered.")
            messages.success(request, done)
            return redirect("people:person_detail", pk=person.pk)
    title = _("Edit person") if editing else _("Register a person")
    return render(request, "people/person_form.html", {"form": form, "title": title, "person": person})


@access(roles=ALL_ROLES)
def household_list(request):
    query = request.GET.get("q", "").strip()
    page = _page(request, selectors.household_list(user=request.user, query=query))
    return render(request, "people/household_list.html", {"page": page, "query": query})


@access(roles=ALL_ROLES, model=Household)
def household_detail(request, pk: int):
    household = selectors.household_get(user=request.user, pk=pk)
    current = [m for m in household.all_members if m.left_on is None]
    history = [m for m in household.all_members if m.left_on is not None]
    return render(
        request,
        "people/household_detail.html",
        {
            "household": household,
            "current": current,
            "history": history,
            "form": AddMemberForm(user=request.user),
            "can_write": not request.user.is_read_only,
        },
    )


@access(roles=STAFF_WRITERS)
def household_create(request):
    form = HouseholdCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            household = services.household_create(
                acting_user=request.user,
                head=data["head_id_number"],
                address=data["address"],
                hukou_type=data["hukou_type"],
            )
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("The household has been created."))
            return redirect("people:household_detail", pk=household.pk)
    return render(request, "people/household_form.html", {"form": form})


@access(roles=STAFF_WRITERS, model=Household)
def household_add_member(request, pk: int):
    household = selectors.household_get(user=request.user, pk=pk)
    form = AddMemberForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["move"]:
                services.household_member_move(
                    acting_user=request.user,
                    person=data["id_number"],
                    to_household=household,
                    relationship=data["relationship"],
                    moved_on=data["joined_on"],
                )
            else:
                services.household_add_member(
                    acting_user=request.user,
                    household=household,
                    person=data["id_number"],
                    relationship=data["relationship"],
                    joined_on=data["joined_on"],
                )
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("The member has been added."))
            return redirect("people:household_detail", pk=household.pk)
    return render(request, "people/member_form.html", {"form": form, "household": household})


@access(roles=STAFF_WRITERS, model=HouseholdMember)
def household_member_leave(request, pk: int):
    membership = get_object_or_404(
        scoped(HouseholdMember.objects.select_related("person", "household"), request.user, "household__division"),
        pk=pk,
    )
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.household_member_leave(
                    acting_user=request.user, membership=membership, left_on=form.cleaned_data["left_on"]
                )
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("The member has left the household; the membership is kept as history."))
            return redirect("people:household_detail", pk=membership.household_id)
    return render(request, "people/leave_form.html", {"form": form, "membership": membership})
