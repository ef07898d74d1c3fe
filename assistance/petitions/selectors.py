"""Reads for petitions, always scoped to the user's division."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.shortcuts import get_object_or_404

from assistance.petitions.models import OPEN_STATUSES, Petition, PetitionStatus
from dalian_minzheng.accounts.models import User
from dalian_minzheng.accounts.policy import STAFF_WRITERS
from dalian_minzheng.accounts.scope import scope_prefix, scoped
from dalian_minzheng.people.models import Division, DivisionLevel


def petition_list(*, user) -> QuerySet[Petition]:
    return scoped(Petition.objects.all(), user).select_related("division", "assigned_to")


def petition_get(*, user, pk: int) -> Petition:
    """One petition the user may see, or 404 (also for another division's petition)."""
    return get_object_or_404(
        scoped(Petition.objects.all(), user).select_related(
            "division", "assigned_to", "petitioner", "case__programme", "application__programme", "created_by"
        ),
        pk=pk,
    )


def overdue_q(today: dt.date | None = None) -> Q:
    return Q(status__in=OPEN_STATUSES, due_on__lt=today or dt.date.today())


def assignable_staff(*, petition: Petition) -> QuerySet[User]:
    """Active staff whose division contains the petition's: the petition's own street or community staff and the
    district admins above it."""
    code = petition.division_id
    prefixes = {code[:n] for n in (6, 9, 12) if len(code) >= n}
    return (
        User.objects.filter(is_active=True, role__in=STAFF_WRITERS, division_id__in=prefixes)
        .select_related("division")
        .order_by("division_id", "username")
    )


@dataclass
class DistrictCounts:
    code: str
    name: str
    by_status: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    resolved_in_year: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def in_status_order(self) -> list[int]:
        return [self.by_status.get(status, 0) for status in PetitionStatus.values]


def petition_counts(*, user, year: int | None = None, today: dt.date | None = None) -> list[DistrictCounts]:
    """Petitions per district: how many are in each status now (received in `year` when given), how many are
    overdue, and how many were resolved in `year` (resolved then, whether since closed or not). One query."""
    today = today or dt.date.today()
    qs = scoped(Petition.objects.all(), user)
    received = Q(received_on__year=year) if year else Q()
    resolved = Q(resolved_on__year=year) if year else Q(resolved_on__isnull=False)
    rows = (
        qs.annotate(district=Substr("division_id", 1, 6))
        .values("district")
        .annotate(
            **{f"n_{status}": Count("id", filter=received & Q(status=status)) for status in PetitionStatus.values},
            overdue=Count("id", filter=overdue_q(today)),
            resolved_in_year=Count("id", filter=resolved),
        )
        .order_by("district")
    )
    prefix = scope_prefix(user) or ""
    districts = Division.objects.filter(level=DivisionLevel.DISTRICT)
    if len(prefix) >= 6:
        districts = districts.filter(code=prefix[:6])
    result = {d.code: DistrictCounts(code=d.code, name=d.name) for d in districts}
    for row in rows:
        entry = result.setdefault(row["district"], DistrictCounts(code=row["district"], name=row["district"]))
        entry.by_status = {status: row[f"n_{status}"] for status in PetitionStatus.values}
        entry.overdue = row["overdue"]
        entry.resolved_in_year = row["resolved_in_year"]
    for entry in result.values():
        for status in PetitionStatus.values:
            entry.by_status.setdefault(status, 0)
    return sorted(result.values(), key=lambda e: e.code)


@dataclass
class HistoryEntry:
    at: dt.datetime
    status: str
    status_label: str
    handler: User | None
    by: User | None


def petition_history(*, petition: Petition) -> list[HistoryEntry]:
    """Who changed the petition and when, from its audit events (written by database triggers). Two queries."""
    events = list(
        Petition.pgh_event_model.objects.filter(pgh_obj_id=petition.pk)
        .select_related("pgh_context")
        .order_by("pgh_id")
        .only("pgh_created_at", "status", "assigned_to_id", "pgh_context__metadata")
    )
    user_ids = {e.assigned_to_id for e in events} | {
        (e.pgh_context.metadata or {}).get("user") for e in events if e.pgh_context_id
    }
    users = User.objects.in_bulk([u for u in user_ids if u])
    labels = dict(PetitionStatus.choices)
    entries: list[HistoryEntry] = []
    previous = None
    for e in events:
        key = (e.status, e.assigned_to_id)
        if key == previous:
            continue  # an edit that changed neither status nor handler
        previous = key
        by = users.get((e.pgh_context.metadata or {}).get("user")) if e.pgh_context_id else None
        entries.append(
            HistoryEntry(
                at=e.pgh_created_at,
                status=e.status,
                status_label=labels.get(e.status, e.status),
                handler=users.get(e.assigned_to_id),
                by=by,
            )
        )
    return entries
