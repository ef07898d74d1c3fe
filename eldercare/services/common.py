"""What every eldercare service shares: the guard on a facility, the timeline entry, the rules in force."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from dalian_minzheng.accounts.policy import (
    ELDERCARE_DECISION_ROLES,
    ELDERCARE_FACILITY_ROLES,
    ELDERCARE_STAFF_ROLES,
    OPERATOR_ROLES,
)
from dalian_minzheng.accounts.scope import require
from dalian_minzheng.core.rules import rule_in_force as rule
from eldercare.models import Facility, FacilityOperator, FacilityTimelineEntry

__all__ = [
    "ELDERCARE_DECISION_ROLES",
    "ELDERCARE_FACILITY_ROLES",
    "ELDERCARE_STAFF_ROLES",
    "guard",
    "locked_facility",
    "operator_facility_id",
    "rule",
    "timeline",
]


def operator_facility_id(user) -> int | None:
    """The facility a facility operator works for (0 when the account names none); None for bureau staff."""
    if user is None or not user.is_authenticated or user.role not in OPERATOR_ROLES:
        return None
    cached = getattr(user, "_eldercare_facility_id", None)
    if cached is None:
        cached = FacilityOperator.objects.filter(user=user).values_list("facility_id", flat=True).first() or 0
        user._eldercare_facility_id = cached
    return cached


def guard(user, facility: Facility, *, roles=ELDERCARE_STAFF_ROLES) -> None:
    """The role and the division (accounts.scope.require); a facility operator only for its own facility."""
    require(user, roles=roles, division=facility.division_id)
    own = operator_facility_id(user)
    if own is not None and own != facility.pk:
        raise PermissionDenied(_("This record belongs to another facility."))


def locked_facility(facility_id: int) -> Facility:
    return Facility.objects.select_for_update(of=("self",)).get(pk=facility_id)


def timeline(facility: Facility, kind: str, text: str, actor=None) -> FacilityTimelineEntry:
    actor = actor if actor is not None and actor.is_authenticated else None
    return FacilityTimelineEntry.objects.create(facility=facility, kind=kind, text=text, actor=actor)
