"""Reads of the eldercare register, every one scoped to the user's division (accounts.scope.scoped)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from dalian_minzheng.accounts.scope import scoped
from dalian_minzheng.people.models import Division, DivisionLevel
from eldercare.models import (
    Facility,
    FacilityKind,
    Hazard,
    HazardStatus,
    RatingApplication,
    RatingStatus,
    RatingTiming,
    Resident,
    ResidentStatus,
    SafetyInspection,
    SubsidyList,
)
from eldercare.services.common import operator_facility_id


def _own(qs: QuerySet, user, facility_field: str) -> QuerySet:
    """A facility operator's reads stop at its own facility (after the division scope, like everyone's)."""
    own = operator_facility_id(user)
    return qs if own is None else qs.filter(**{facility_field: own})


def facility_list(
    *,
    user,
    q: str = "",
    kind: str = "",
    division: str = "",
    grade: str = "",
    build_status: str = "",
    social_forces: str = "",
) -> QuerySet:
    qs = _own(scoped(Facility.objects.select_related("division"), user), user, "pk")
    if q:
        qs = qs.filter(Q(name__startswith=q) | Q(operator__startswith=q) | Q(name__contains=q))
    if kind:
        qs = qs.filter(kind=kind)
    if division and division.isdigit():
        qs = qs.filter(division__code__startswith=division)
    if grade == "none":
        qs = qs.filter(star_grade__isnull=True)
    elif grade.isdigit():
        qs = qs.filter(star_grade=int(grade))
    if build_status:
        qs = qs.filter(build_status=build_status)
    if social_forces in ("yes", "no"):
        qs = qs.filter(social_forces=social_forces == "yes")
    return qs.order_by("division_id", "name", "id")


def facility_get(*, user, pk: int) -> Facility:
    try:
        return _own(scoped(Facility.objects.select_related("division"), user), user, "pk").get(pk=pk)
    except Facility.DoesNotExist:
        raise Http404 from None


def facility_page(*, facility: Facility) -> dict:
    """Everything about one facility, in a fixed number of queries."""
    return {
        "timeline": list(facility.timeline.select_related("actor")[:200]),
        "residents": list(
            Resident.objects.filter(facility=facility, status=ResidentStatus.ADMITTED).select_related("person")[:500]
        ),
        "hazards": list(Hazard.objects.filter(facility=facility).order_by("status", "due_on")[:200]),
        "ratings": list(RatingApplication.objects.filter(facility=facility)[:50]),
        "inspections": list(SafetyInspection.objects.filter(facility=facility)[:50]),
    }


def hazard_list(*, user, status: str = "", severity: str = "", overdue: bool = False, division: str = "") -> QuerySet:
    qs = _own(scoped(Hazard.objects.select_related("facility", "division"), user), user, "facility_id")
    if status == "unresolved":
        qs = qs.filter(status__in=HazardStatus.UNRESOLVED)
    elif status:
        qs = qs.filter(status=status)
    if severity:
        qs = qs.filter(severity=severity)
    if overdue:
        qs = qs.filter(status__in=HazardStatus.UNRESOLVED, due_on__lt=timezone.localdate())
    if division and division.isdigit():
        qs = qs.filter(division__code__startswith=division)
    return qs.order_by("due_on", "id")


def hazard_get(*, user, pk: int) -> Hazard:
    try:
        return _own(scoped(Hazard.objects.select_related("facility"), user), user, "facility_id").get(pk=pk)
    except Hazard.DoesNotExist:
        raise Http404 from None


@dataclass
class AreaCount:
    code: str
    name: str
    count: int


def overdue_hazards_by_area(*, user, level: int = DivisionLevel.DISTRICT) -> list[AreaCount]:
    """Overdue hazards per district (or street): one grouped query on the hazards' own division column."""
    width = 6 if level == DivisionLevel.DISTRICT else 9
    from django.db.models.functions import Left

    rows = (
        hazard_list(user=user, overdue=True)
        .annotate(area=Left("division_id", width))
        .values("area")
        .annotate(n=Count("id"))
        .order_by("area")
    )
    names = dict(Division.objects.filter(code__in=[r["area"] for r in rows]).values_list("code", "name"))
    return [AreaCount(r["area"], names.get(r["area"], r["area"]), r["n"]) for r in rows]


def institutions_not_inspected(*, user, year: int) -> QuerySet:
    """Operating institutions with no on-site inspection in `year` (民政部令66号: at least once a year)."""
    inspected = SafetyInspection.objects.filter(facility=OuterRef("pk"), onsite=True, inspected_on__year=year)
    return (
        facility_list(user=user, kind=FacilityKind.INSTITUTION, build_status="operating")
        .annotate(inspected=Exists(inspected))
        .filter(inspected=False)
    )


def filing_overdue(*, user) -> QuerySet:
    """Institutions with residents that have not filed, oldest first (the filing rule's deadline is shown per row)."""
    return (
        facility_list(user=user, kind=FacilityKind.INSTITUTION)
        .filter(first_resident_on__isnull=False, filed_on__isnull=True)
        .order_by("first_resident_on")
    )


def grades_expiring(*, user, on: dt.date | None = None) -> QuerySet:
    on = on or timezone.localdate()
    timing = RatingTiming.current(on=on)
    days = timing.expiry_reminder_days if timing else 90
    return (
        facility_list(user=user)
        .filter(grade_valid_until__gte=on, grade_valid_until__lte=on + dt.timedelta(days=days))
        .order_by("grade_valid_until")
    )


def rating_list(*, user, status: str = "") -> QuerySet:
    qs = _own(
        scoped(RatingApplication.objects.select_related("facility"), user, "facility__division"), user, "facility_id"
    )
    if status == "open":
        qs = qs.filter(status__in=RatingStatus.OPEN)
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("-applied_on", "-id")


def rating_get(*, user, pk: int) -> RatingApplication:
    try:
        return rating_list(user=user).prefetch_related("scores", "conditions").get(pk=pk)
    except RatingApplication.DoesNotExist:
        raise Http404 from None


def resident_get(*, user, pk: int) -> Resident:
    try:
        qs = scoped(Resident.objects.select_related("facility", "person"), user, "facility__division")
        return _own(qs, user, "facility_id").get(pk=pk)
    except Resident.DoesNotExist:
        raise Http404 from None


def subsidy_lists(*, user) -> QuerySet:
    return scoped(SubsidyList.objects.select_related("district", "approved_by"), user, "district")


def subsidy_list_get(*, user, pk: int) -> SubsidyList:
    try:
        return subsidy_lists(user=user).get(pk=pk)
    except SubsidyList.DoesNotExist:
        raise Http404 from None


def overview(*, user) -> dict:
    facilities = facility_list(user=user)
    counts = facilities.aggregate(
        total=Count("id"),
        institutions=Count("id", filter=Q(kind=FacilityKind.INSTITUTION)),
        centres=Count("id", filter=~Q(kind=FacilityKind.INSTITUTION)),
        social=Count("id", filter=Q(social_forces=True)),
        demonstration=Count("id", filter=Q(is_demonstration=True)),
        rated=Count("id", filter=Q(star_grade__isnull=False)),
    )
    hazards = hazard_list(user=user).aggregate(
        open=Count("id", filter=Q(status__in=HazardStatus.UNRESOLVED)),
        overdue=Count("id", filter=Q(status__in=HazardStatus.UNRESOLVED, due_on__lt=timezone.localdate())),
        major=Count("id", filter=Q(status__in=HazardStatus.UNRESOLVED, severity="major")),
    )
    return {**counts, **{f"hazards_{k}": v for k, v in hazards.items()}}
