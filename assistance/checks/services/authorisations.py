"""The household members' signed authorisations to query their data."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.checks.models import (
    Authorisation,
)
from assistance.checks.services.common import (
    CASEWORK_ROLES,
)
from dalian_minzheng.accounts.scope import require


@transaction.atomic
def authorisation_record(*, acting_user, application, person_id: int, signed_on: dt.date, scan) -> Authorisation:
    """Record a member's signed authorisation for the application's household."""
    from dalian_minzheng.people.models import HouseholdMember

    require(acting_user, roles=CASEWORK_ROLES, division=application.division_id)
    if not HouseholdMember.objects.filter(
        household_id=application.household_id, person_id=person_id, left_on__isnull=True
    ).exists():
        raise ValidationError({"person": _("This person is not a current member of the household.")})
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": _("The signing date cannot be in the future.")})
    if not scan:
        raise ValidationError({"scan": _("Upload the scan of the signed authorisation.")})
    # a new signature replaces the previous one (kept as history, revoked today)
    Authorisation.objects.select_for_update().filter(
        person_id=person_id, household_id=application.household_id, revoked_on__isnull=True
    ).update(revoked_on=timezone.localdate())
    return Authorisation.objects.create(
        person_id=person_id,
        household_id=application.household_id,
        division_id=application.division_id,
        signed_on=signed_on,
        scan=scan,
        recorded_by=acting_user,
    )
