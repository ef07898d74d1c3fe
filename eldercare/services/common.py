"""What every eldercare service shares: the guard on a facility, the timeline entry, the rules in force."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from dalian_minzheng.accounts.policy import ELDERCARE_DECISION_ROLES, ELDERCARE_STAFF_ROLES
from dalian_minzheng.accounts.scope import require
from eldercare.models import Facility, FacilityTimelineEntry

__all__ = ["ELDERCARE_DECISION_ROLES", "ELDERCARE_STAFF_ROLES", "guard", "locked_facility", "rule", "timeline"]


def guard(user, facility: Facility, *, roles=ELDERCARE_STAFF_ROLES) -> None:
    require(user, roles=roles, division=facility.division_id)


def locked_facility(facility_id: int) -> Facility:
    return Facility.objects.select_for_update(of=("self",)).get(pk=facility_id)


def timeline(facility: Facility, kind: str, text: str, actor=None) -> FacilityTimelineEntry:
    actor = actor if actor is not None and actor.is_authenticated else None
    return FacilityTimelineEntry.objects.create(facility=facility, kind=kind, text=text, actor=actor)


def rule(model, *, on=None, **key):
    """The version of a rule in force, or a clear error when the city admin has left none (never a silent 0)."""
    found = model.current(on=on, **key)
    if found is None:
        raise ValidationError(
            _("No rule “%(rule)s” is in force on that day; the city admin sets it on the rule tables page.")
            % {"rule": model._meta.verbose_name}
        )
    return found
