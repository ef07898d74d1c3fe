"""Standards, income bands and working-day overrides: the city admin's tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from assistance import amounts
from assistance.models import (
    Programme,
    Standard,
    StandardBand,
    WorkdayOverride,
)
from assistance.services.common import (
    STANDARD_ROLES,
)
from dalian_minzheng.accounts.scope import require


@transaction.atomic
def standard_create(
    *,
    acting_user,
    programme_id: int,
    amount: Decimal | None,
    effective_from: dt.date,
    division_code: str | None = None,
    care_level: str = "",
    base_programme_id: int | None = None,
    multiplier: Decimal | None = None,
    note: str = "",
) -> Standard:
    """A new standard from a date (never an edit of one in force). A linked standard (hardship basic = 1.3 ×
    allowance) takes its amount from the base programme's standard on that date; standards linked to this
    programme get a new row for the same date, so they stay in step."""
    if acting_user is not None:
        require(acting_user, roles=STANDARD_ROLES, division=division_code or "210200")
    programme = Programme.objects.get(pk=programme_id)
    if base_programme_id:
        if multiplier is None:
            raise ValidationError(_("A linked standard needs a multiple."), code="multiplier")
        base = amounts.standard_for(
            programme=Programme.objects.get(pk=base_programme_id), district_code=division_code, on=effective_from
        )
        if base is None:
            raise ValidationError(_("The linked programme has no standard on that date."), code="no_base")
        amount = amounts.round_fen(base.amount * Decimal(multiplier))
    if amount is None or Decimal(amount) <= 0:
        raise ValidationError(_("Enter an amount above zero."), code="amount")
    if Standard.objects.filter(
        programme=programme, division_id=division_code, care_level=care_level, effective_from=effective_from
    ).exists():
        raise ValidationError(_("A standard for this programme, district and date already exists."), code="dup")
    standard = Standard.objects.create(
        programme=programme,
        division_id=division_code,
        care_level=care_level,
        amount=amount,
        effective_from=effective_from,
        base_programme_id=base_programme_id,
        multiplier=multiplier,
        note=note,
        created_by=acting_user,
    )
    if not care_level:
        # Follow-on: linked standards of other programmes (latest definition per programme) get the new amount.
        linked = (
            Standard.objects.filter(base_programme=programme, division_id=division_code, care_level="")
            .order_by("programme_id", "-effective_from")
            .distinct("programme_id")
        )
        for link in linked:
            if link.effective_from >= effective_from:
                continue
            standard_create(
                acting_user=None,
                programme_id=link.programme_id,
                amount=None,
                effective_from=effective_from,
                division_code=division_code,
                base_programme_id=programme.pk,
                multiplier=link.multiplier,
                note=_("follows %(programme)s") % {"programme": programme.name},
            )
    return standard


@transaction.atomic
def band_create(
    *,
    acting_user,
    programme_id: int,
    effective_from: dt.date,
    income_below: Decimal,
    amount: Decimal,
    division_code: str | None = None,
) -> StandardBand:
    if acting_user is not None:
        require(acting_user, roles=STANDARD_ROLES, division=division_code or "210200")
    return StandardBand.objects.create(
        programme_id=programme_id,
        division_id=division_code,
        effective_from=effective_from,
        income_below=income_below,
        amount=amount,
        created_by=acting_user,
    )


@transaction.atomic
def workday_override_set(*, acting_user, date: dt.date, is_workday: bool, note: str = "") -> WorkdayOverride:
    require(acting_user, roles=STANDARD_ROLES, division="210200")
    override, _created = WorkdayOverride.objects.update_or_create(
        date=date, defaults={"is_workday": is_workday, "note": note}
    )
    return override
