"""Thin, idempotent tasks of the eldercare register: they call a service."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.core.exceptions import ValidationError
from django.utils import timezone

from dalian_minzheng.audit.context import audit_context
from dalian_minzheng.people.models import Division, DivisionLevel
from eldercare import services

log = logging.getLogger(__name__)


def _last_month() -> dt.date:
    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


@shared_task(name="eldercare.compute_subsidy_lists", acks_late=True)
def compute_subsidy_lists(month: str | None = None) -> dict[str, str]:
    """Every district's operating subsidy list for `month` (ISO date; last month by default). A draft list is
    computed afresh (the same data gives the same lines); an approved one is left as it is."""
    month_day = dt.date.fromisoformat(month) if month else _last_month()
    result = {}
    with audit_context(task="eldercare.compute_subsidy_lists", month=f"{month_day:%Y-%m}"):
        districts = Division.objects.filter(level=DivisionLevel.DISTRICT).order_by("code")
        for code in districts.values_list("code", flat=True):
            try:
                subsidy_list = services.subsidy_list_compute(district_code=code, month=month_day)
            except ValidationError as exc:
                result[code] = " ".join(exc.messages)
                continue
            result[code] = str(subsidy_list.total)
    return result


@shared_task(name="eldercare.expire_grades")
def expire_grades() -> int:
    """Star grades past their validity expire (daily)."""
    with audit_context(task="eldercare.expire_grades"):
        return services.ratings_expire()
