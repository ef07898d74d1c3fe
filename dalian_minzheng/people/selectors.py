"""Reads of persons and households. Every query starts from `scoped(...)`, so a user only ever sees their area.

Search (`person_search`) picks one indexed predicate from the shape of the query:
  * 18 characters (17 digits + digit/X)  → exact ID number        (unique index)
  * 4 characters (digits, last may be X) → last 4 of the ID number (expression index `person_id_last4`)
  * 5-11 digits                          → phone prefix            (`person_phone_prefix`, varchar_pattern_ops)
  * anything else                        → name prefix             (`person_name_prefix`, varchar_pattern_ops)
Each is combined with the division-prefix index by PostgreSQL; see benchmarks/bench_person_search.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce, Right, Substr

from dalian_minzheng.accounts.scope import scope_prefix, scoped
from dalian_minzheng.people import idnumbers
from dalian_minzheng.people.models import Division, DivisionLevel, Household, HouseholdMember, Person


@dataclass(frozen=True)
class SearchTerm:
    kind: str  # "id", "last4", "phone", "name", "" (empty)
    value: str


def classify_query(raw: str | None) -> SearchTerm:
    text = idnumbers.normalize(raw or "")
    if not text:
        return SearchTerm("", "")
    if re.fullmatch(r"\d{17}[\dX]", text):
        return SearchTerm("id", text)
    if re.fullmatch(r"\d{3}[\dX]", text):
        return SearchTerm("last4", text)
    if re.fullmatch(r"\d{5,11}", text):
        return SearchTerm("phone", text)
    # Names keep their original spelling (normalize upper-cases letters, which matters for Latin names).
    return SearchTerm("name", re.sub(r"\s+", "", raw or ""))


def person_search(*, user, query: str | None = None, division: str | None = None) -> QuerySet[Person]:
    qs = scoped(Person.objects.all(), user).select_related("division")
    term = classify_query(query)
    if term.kind == "id":
        qs = qs.filter(id_number=term.value)
    elif term.kind == "last4":
        qs = qs.annotate(id_last4=Right("id_number", 4)).filter(id_last4=term.value)
    elif term.kind == "phone":
        qs = qs.filter(phone__startswith=term.value)
    elif term.kind == "name":
        qs = qs.filter(name__startswith=term.value)
    if division:
        qs = qs.filter(division__code__startswith=division)
    return qs.order_by("id")


def person_get(*, user, pk: int) -> Person:
    """One person in the user's area, or Http404."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(scoped(Person.objects.select_related("division", "division__parent"), user), pk=pk)


def person_memberships(*, person: Person) -> QuerySet[HouseholdMember]:
    return (
        HouseholdMember.objects.filter(person=person)
        .select_related("household", "household__head", "household__division")
        .order_by("-joined_on", "-id")
    )


def household_list(*, user, query: str | None = None) -> QuerySet[Household]:
    """Households in scope, searchable by any member's name / ID / last 4 / phone (current members only)."""
    # A correlated sub-select, not a JOIN + GROUP BY: it is computed for the 50 rows of the page only, and the
    # paginator's COUNT drops it.
    current_members = (
        HouseholdMember.objects.filter(household=OuterRef("pk"), left_on__isnull=True)
        .order_by()
        .values("household")
        .annotate(n=Count("id"))
        .values("n")
    )
    qs = (
        scoped(Household.objects.all(), user)
        .select_related("head", "division")
        .annotate(member_count=Coalesce(Subquery(current_members), 0))
    )
    term = classify_query(query)
    if term.kind:
        persons = person_search(user=user, query=query).values("id")
        member_households = HouseholdMember.objects.filter(person_id__in=persons, left_on__isnull=True).values(
            "household_id"
        )
        qs = qs.filter(id__in=member_households)
    return qs.order_by("id")


def household_get(*, user, pk: int) -> Household:
    from django.shortcuts import get_object_or_404

    members = HouseholdMember.objects.select_related("person", "created_by").order_by("left_on", "joined_on", "id")
    return get_object_or_404(
        scoped(Household.objects.select_related("head", "division", "division__parent"), user).prefetch_related(
            Prefetch("members", queryset=members, to_attr="all_members")
        ),
        pk=pk,
    )


def division_subtree(*, code: str) -> QuerySet[Division]:
    """A division and everything below it, in one indexed query (`division_code_prefix`)."""
    prefix = code[:4] if len(code) == 6 and code.endswith("00") else code  # the city 210200 → 2102
    return Division.objects.filter(code__startswith=prefix)


# ------------------------------------------------------------------ home-page counts (constant queries)
def counts_in_scope(*, user) -> dict[str, int]:
    """Persons and current households in the user's area: two COUNT queries."""
    return {
        "persons": scoped(Person.objects.all(), user).count(),
        "households": scoped(Household.objects.all(), user).count(),
    }


def counts_by_child_division(*, user, level: int) -> list[dict]:
    """Persons and households grouped by the division at `level` (district=2, street=3) inside the user's area.

    Grouping on a prefix of the record's own division code means no join to divisions for the counting; the names
    come from one more query. Three queries whatever the number of divisions."""
    length = {DivisionLevel.DISTRICT: 6, DivisionLevel.STREET: 9}[level]
    persons = dict(
        scoped(Person.objects.all(), user)
        .annotate(part=Substr("division_id", 1, length))
        .values_list("part")
        .annotate(n=Count("id"))
        .values_list("part", "n")
    )
    households = dict(
        scoped(Household.objects.all(), user)
        .annotate(part=Substr("division_id", 1, length))
        .values_list("part")
        .annotate(n=Count("id"))
        .values_list("part", "n")
    )
    prefix = scope_prefix(user) or ""
    rows = []
    for division in Division.objects.filter(level=level, code__startswith=prefix).order_by("code"):
        rows.append(
            {
                "division": division,
                "persons": persons.get(division.code, 0),
                "households": households.get(division.code, 0),
            }
        )
    return rows
