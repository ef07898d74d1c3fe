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
            Resident.objects.filter(facility=facility, status=ResidentStatus.ADMITTED).select_related("person")[:20]
        ),
        "hazards": list(Hazard.objects.filter(facility=facility).order_by("status", "due_on")[:200]),
        "ratings": list(RatingApplication.objects.filter(facility=facility)[:50]),
        "inspections": list(SafetyInspection.objects.filter(facility=facility)[:50]),
        "renovations": list(facility.renovations.all()[:50]),
    }


def hazard_list(*, user, status: str = "", severity: str = "", overdue: bool = False, division: str = "") -> QuerySet:
    qs = _own(scoped(Hazard.objects.select_related("facility", "division"), user), user, "facility_id")
    if status == "unresolved":
        qs = qs.filter(status__in=HazardStatus.UNRESOLVED)
    elif status:
        qs = qs.filter(status=status)
    if severity:
        qs = qs.filter(severity=severity)
    if overdue:  # not rectified by the deadline (one rectified and awaiting re-inspection is the bureau's turn)
        qs = qs.filter(status=HazardStatus.OPEN, due_on__lt=timezone.localdate())
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


def resident_list(*, user, q: str = "", facility: str = "", level: str = "", status: str = "admitted") -> QuerySet:
    """Residents of the user's area (an operator: of its facility), searchable by name or the last four digits of
    the ID number, filtered by facility, ability level and status."""
    from django.db.models.functions import Right

    qs = _own(
        scoped(Resident.objects.select_related("facility", "person"), user, "facility__division"), user, "facility_id"
    )
    if status:
        qs = qs.filter(status=status)
    if q:
        if q.isdigit() and len(q) == 4:
            qs = qs.annotate(last4=Right("person__id_number", 4)).filter(last4=q)
        else:
            qs = qs.filter(person__name__startswith=q)
    if facility.isdigit():
        qs = qs.filter(facility_id=int(facility))
    if level == "none":
        qs = qs.filter(ability_level__isnull=True)
    elif level.isdigit():
        qs = qs.filter(ability_level=int(level))
    return qs.order_by("-admitted_on", "-id")


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
        overdue=Count("id", filter=Q(status=HazardStatus.OPEN, due_on__lt=timezone.localdate())),
        major=Count("id", filter=Q(status__in=HazardStatus.UNRESOLVED, severity="major")),
    )
    return {**counts, **{f"hazards_{k}": v for k, v in hazards.items()}}


@dataclass
class StreetPlan:
    code: str
    name: str
    district: str
    facilities: int
    centres: int
    beds: int
    older: int  # residents aged 60 or more (kernel persons, alive)

    @property
    def beds_per_100(self) -> float | None:
        return round(self.beds * 100 / self.older, 1) if self.older else None


PLANNING_SQL = """
WITH streets AS (
    SELECT s.code, s.name, d.name AS district FROM people_division s JOIN people_division d ON d.code = s.parent_id
    WHERE s.level = 3 AND s.is_active AND s.code LIKE %(prefix)s
), facilities AS (
    SELECT left(division_id, 9) AS street, count(*) AS facilities,
           count(*) FILTER (WHERE kind <> 'institution') AS centres, sum(beds) AS beds
    FROM eldercare_facility WHERE division_id LIKE %(prefix)s AND build_status <> 'stopped' GROUP BY 1
), older AS (
    SELECT left(division_id, 9) AS street, count(*) AS n FROM people_person
    WHERE division_id LIKE %(prefix)s AND NOT is_deceased AND birth_date <= %(cutoff)s GROUP BY 1
)
SELECT st.code, st.name, st.district, coalesce(f.facilities, 0), coalesce(f.centres, 0), coalesce(f.beds, 0),
       coalesce(o.n, 0)
FROM streets st LEFT JOIN facilities f ON f.street = st.code LEFT JOIN older o ON o.street = st.code
ORDER BY st.code
"""


def planning(*, user, district: str = "", on: dt.date | None = None) -> dict:
    """养老服务设施布局: per street of the user's area, facilities, beds, residents aged 60+, beds per 100 older
    residents, and the streets without a centre or station; three grouped scans, whatever the number of streets."""
    from django.db import connection

    from dalian_minzheng.accounts.scope import scope_prefix

    prefix = scope_prefix(user)
    if prefix is None:
        return {"streets": [], "without_centre": [], "social_share": None}
    if district and district.isdigit() and district.startswith(prefix):
        prefix = district
    on = on or timezone.localdate()
    try:
        cutoff = on.replace(year=on.year - 60)
    except ValueError:
        cutoff = on.replace(year=on.year - 60, day=28)
    with connection.cursor() as cursor:
        cursor.execute(PLANNING_SQL, {"prefix": prefix + "%", "cutoff": cutoff})
        streets = [StreetPlan(*row) for row in cursor.fetchall()]
    centres = facility_list(user=user, division=prefix).exclude(kind=FacilityKind.INSTITUTION)
    share = centres.aggregate(total=Count("id"), social=Count("id", filter=Q(social_forces=True)))
    return {
        "streets": streets,
        "without_centre": [s for s in streets if s.centres == 0],
        "centres_total": share["total"],
        "centres_social": share["social"],
        "social_share": round(share["social"] * 100 / share["total"]) if share["total"] else None,
        "older_total": sum(s.older for s in streets),
        "beds_total": sum(s.beds for s in streets),
    }


VOLUME_LEVELS = {"facility": None, "street": 9, "district": 6}


def service_volumes(*, user, month: dt.date, level: str = "facility") -> list[dict]:
    """Monthly service volumes (quantity and care hours per service) by facility, street or district: one grouped
    query on the records' own facility and division columns."""
    from django.db.models import Sum
    from django.db.models.functions import Left

    from eldercare.models import ServiceRecord

    end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    qs = _own(scoped(ServiceRecord.objects.all(), user), user, "facility_id").filter(
        served_on__gte=month, served_on__lt=end
    )
    if VOLUME_LEVELS.get(level):
        key = Left("division_id", VOLUME_LEVELS[level])
        rows = qs.annotate(area=key).values("area", "kind").annotate(quantity=Sum("quantity"), hours=Sum("hours"))
        names = dict(Division.objects.filter(code__in={r["area"] for r in rows}).values_list("code", "name"))
        label = lambda r: names.get(r["area"], r["area"])  # noqa: E731
    else:
        rows = qs.values("facility_id", "facility__name", "kind").annotate(quantity=Sum("quantity"), hours=Sum("hours"))
        label = lambda r: r["facility__name"]  # noqa: E731
    table: dict[str, dict] = {}
    for row in rows:
        entry = table.setdefault(label(row), {"name": label(row), "by_kind": {}, "hours": 0})
        entry["by_kind"][row["kind"]] = row["quantity"]
        entry["hours"] += row["hours"] or 0
    return sorted(table.values(), key=lambda e: e["name"])
