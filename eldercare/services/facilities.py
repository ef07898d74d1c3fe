"""Facilities: registration, changes, filing (备案) and the on-site check it triggers."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dalian_minzheng.accounts.scope import require
from dalian_minzheng.core import workdays
from eldercare.models import Facility, FacilityEventKind, FacilityKind, FilingRule
from eldercare.services.common import ELDERCARE_STAFF_ROLES, guard, locked_facility, rule, timeline

EDITABLE = (
    "name",
    "kind",
    "institution_type",
    "legal_form",
    "operator",
    "ownership",
    "social_forces",
    "build_status",
    "beds",
    "occupied_beds",
    "staff",
    "carers",
    "services",
    "address",
    "is_demonstration",
    "demonstration_year",
    "opened_on",
    "first_resident_on",
    "on_dishonesty_list",
    "last_penalty_on",
)


def _check(facility: Facility) -> None:
    if facility.occupied_beds > facility.beds:
        raise ValidationError({"occupied_beds": _("Occupied beds cannot exceed the beds.")})
    if facility.kind == FacilityKind.INSTITUTION and not facility.institution_type:
        raise ValidationError({"institution_type": _("Choose the institution type.")})
    if facility.is_demonstration and not facility.demonstration_year:
        raise ValidationError({"demonstration_year": _("Give the year the centre became a demonstration centre.")})


@transaction.atomic
def facility_register(*, acting_user, division: str, **fields) -> Facility:
    require(acting_user, roles=ELDERCARE_STAFF_ROLES, division=division)
    facility = Facility(division_id=division, **{k: v for k, v in fields.items() if k in EDITABLE})
    _check(facility)
    try:
        with transaction.atomic():
            facility.save()
    except IntegrityError:
        raise ValidationError(
            {"name": _("A facility with this name is already registered in this division.")}
        ) from None
    timeline(facility, FacilityEventKind.REGISTERED, facility.get_kind_display(), acting_user)
    return facility


@transaction.atomic
def facility_update(*, acting_user, facility_id: int, **fields) -> Facility:
    facility = locked_facility(facility_id)
    guard(acting_user, facility)
    changed = []
    for name, value in fields.items():
        if name in EDITABLE and getattr(facility, name) != value:
            setattr(facility, name, value)
            changed.append(name)
    if not changed:
        return facility
    _check(facility)
    facility.save(update_fields=[*changed, "updated_at"])
    labels = "、".join(str(Facility._meta.get_field(n).verbose_name) for n in changed)
    timeline(facility, FacilityEventKind.CHANGED, labels, acting_user)
    return facility


def filing_due(facility: Facility) -> dt.date | None:
    """The last day to file: N working days after the first resident (FilingRule in force that day)."""
    if facility.first_resident_on is None:
        return None
    days = rule(FilingRule, on=facility.first_resident_on).filing_workdays
    return workdays.add_workdays(facility.first_resident_on, days)


@transaction.atomic
def facility_file(*, acting_user, facility_id: int, filed_on: dt.date, filing_number: str) -> Facility:
    """备案: records the filing and sets the on-site check's deadline (M working days later)."""
    facility = locked_facility(facility_id)
    guard(acting_user, facility)
    if facility.filed_on is not None:
        raise ValidationError(_("This facility has already filed (%(day)s).") % {"day": facility.filed_on})
    if filed_on > timezone.localdate():
        raise ValidationError({"filed_on": _("The filing date cannot be in the future.")})
    if not filing_number.strip():
        raise ValidationError({"filing_number": _("Enter the filing number.")})
    facility.filed_on = filed_on
    facility.filing_number = filing_number.strip()
    facility.onsite_check_due = workdays.add_workdays(filed_on, rule(FilingRule, on=filed_on).onsite_check_workdays)
    facility.save(update_fields=["filed_on", "filing_number", "onsite_check_due", "updated_at"])
    due = filing_due(facility)
    late = _("late (due %(day)s)") % {"day": due} if due and filed_on > due else ""
    timeline(
        facility,
        FacilityEventKind.FILED,
        f"{facility.filing_number} {late}".strip()
        + " · "
        + _("on-site check due %(day)s") % {"day": facility.onsite_check_due},
        acting_user,
    )
    return facility
