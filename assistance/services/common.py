"""Pieces every casework service shares: the working-day limits, the role sets, the guard, the row lock, the
state check and the timeline event.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from assistance import amounts
from assistance.models import (
    Application,
    ApplicationStatus,
    Case,
    Programme,
    TimelineEvent,
)
from dalian_minzheng.accounts.policy import CASEWORK_ROLES as CASEWORK_ROLES  # re-exported
from dalian_minzheng.accounts.policy import CITY_ADMIN_ROLES
from dalian_minzheng.accounts.policy import DECISION_ROLES as DECISION_ROLES  # re-exported
from dalian_minzheng.people.models import HouseholdMember

# Working-day limits of the 2021 review rules (最低生活保障审核确认办法).
DAYS_TOTAL = 30
DAYS_TOTAL_EXTENDED = 45
DAYS_CHECK_START = 3
DAYS_DECISION = 10
DAYS_REFUSAL_NOTICE = 3
NOTICE_DAYS = 7

# The role sets are named once, in accounts.policy; these names stay for the callers that import them from here.
STANDARD_ROLES = CITY_ADMIN_ROLES

OPEN_STATUSES = ApplicationStatus.OPEN


# --- helpers ------------------------------------------------------------------------------------------------


def _event(application: Application, kind: str, text: str = "", actor=None, case: Case | None = None) -> TimelineEvent:
    return TimelineEvent.objects.create(
        application=application,
        case=case,
        division_id=application.division_id,
        kind=kind,
        text=text,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
    )


def _lock(application_id: int) -> Application:
    try:
        return Application.objects.select_for_update().select_related("programme").get(pk=application_id)
    except Application.DoesNotExist:
        raise ValidationError(_("The application does not exist.")) from None


def _require_status(application: Application, *statuses: str) -> None:
    if application.status not in statuses:
        raise ValidationError(
            _("This step is not possible while the application is “%(status)s”.")
            % {"status": application.get_status_display()},
            code="status",
        )


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def current_household_size(household_id: int) -> int:
    return HouseholdMember.objects.filter(household_id=household_id, left_on__isnull=True).count()


def _district_code(division_code: str) -> str:
    return division_code[:6]


def calculate_amount(
    *,
    programme: Programme,
    division_code: str,
    on: dt.date,
    household_size: int,
    income_per_capita: Decimal | None,
    care_level: str = "",
) -> Decimal:
    """The monthly amount by the standards in force (amounts.monthly_amount; banded programmes use their bands)."""
    return amounts.monthly_amount(
        programme=programme,
        district_code=_district_code(division_code),
        on=on,
        household_size=household_size,
        income_per_capita=income_per_capita or Decimal("0"),
        care_level=care_level,
    )


def next_review_due(*, programme: Programme, unstable_income: bool, from_month: dt.date) -> dt.date:
    months = programme.review_months_unstable if unstable_income else programme.review_months_stable
    return add_months(from_month, months)
