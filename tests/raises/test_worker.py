"""Raises applied by a real Celery worker: on demand, by the daily schedule, twice, and killed mid-apply."""

from __future__ import annotations

import os
import time
from decimal import Decimal

import pytest

from assistance import amounts
from assistance.models import Case, CaseAmountChange, Standard
from assistance.raises import services
from assistance.raises.models import Raise, RaiseStatus
from tests.raises import factories as f
from tests.worker_app import HOLD_AT_ENV, HOLD_SECONDS_ENV

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _approved_raise(user, progs, *, on, title="全市低保提标"):
    r = services.raise_create(
        acting_user=user,
        title=title,
        programmes=[progs["raise_urban_allowance"], progs["raise_rural_allowance"]],
        components=["basic"],
        method="increase_percent",
        value=Decimal("7.5"),
        rounding="up_yuan",
        effective_from=on,
    )
    return services.raise_approve(acting_user=user, raise_record=r)


def _expected(on) -> dict[int, Decimal]:
    """What every case should receive after the raise: the reference calculation for receiving cases."""
    expected = {}
    for case in Case.objects.select_related("programme"):
        if case.status in ("active", "under_review") and case.programme.code in (
            "raise_urban_allowance",
            "raise_rural_allowance",
            "raise_urban_hardship",
        ):
            expected[case.pk] = amounts.monthly_amount(
                programme=case.programme,
                district_code=case.division_id[:6],
                on=on,
                household_size=case.household_size,
                income_per_capita=case.monthly_income_per_capita,
                care_level=case.care_level,
            )
        else:
            expected[case.pk] = case.monthly_amount
    return expected


def _amounts() -> dict[int, Decimal]:
    return dict(Case.objects.values_list("id", "monthly_amount"))


@pytest.fixture
def data(divisions):
    progs = f.standards()
    f.mixed_cases()
    f.tolerate_outliers()
    return progs


def test_worker_applies_on_demand_and_twice_changes_nothing(celery_worker_process, city_admin, data):
    from assistance.raises.tasks import apply_raise

    on = f.month_start(0)
    r = _approved_raise(city_admin, data, on=on)
    celery_worker_process()
    first = apply_raise.delay(r.pk, city_admin.pk).get(timeout=120)
    assert first["applied"] and not first["already_applied"] and first["cases_changed"] > 0
    state = _amounts()
    assert state == _expected(on)
    second = apply_raise.delay(r.pk, city_admin.pk).get(timeout=120)
    assert second == {"raise_id": r.pk, "applied": True, "already_applied": True, "cases_changed": 0}
    assert _amounts() == state
    assert CaseAmountChange.objects.filter(source_ref=f"raise:{r.pk}").count() == first["cases_changed"]
    # the audit rows carry the raise and the task as their cause
    from django.apps import apps

    event = apps.get_model("assistance", "CaseEvent").objects.filter(pgh_label="update").latest("pgh_id")
    assert event.pgh_context.metadata["raise_id"] == r.pk
    assert event.pgh_context.metadata["task"] == "raises.apply_raise"
    assert event.pgh_context.metadata["user"] == city_admin.pk


def test_daily_schedule_applies_due_raises_only(celery_worker_process, city_admin, data):
    from django_celery_beat.models import PeriodicTask

    from assistance.raises import reference
    from assistance.raises.tasks import apply_due_raises

    reference.load()
    reference.load()  # idempotent
    schedule = PeriodicTask.objects.get(name=reference.SCHEDULE_NAME)
    assert schedule.task == "raises.apply_due_raises" and schedule.enabled

    due = _approved_raise(city_admin, data, on=f.month_start(0), title="本月生效")
    later = services.raise_create(
        acting_user=city_admin,
        title="两个月后生效",
        programmes=[data["raise_disability_living"]],
        method="increase_amount",
        value=Decimal("10"),
        effective_from=f.month_start(2),
    )
    services.raise_approve(acting_user=city_admin, raise_record=later)
    celery_worker_process()
    assert apply_due_raises.delay().get(timeout=120) == [due.pk]
    assert Raise.objects.get(pk=due.pk).status == RaiseStatus.APPLIED
    assert Raise.objects.get(pk=later.pk).status == RaiseStatus.APPROVED
    assert not Standard.objects.filter(effective_from=f.month_start(2)).exists()


def test_worker_killed_mid_apply_leaves_nothing_then_retry_applies_once(celery_worker_process, city_admin, data):
    from assistance.raises.tasks import apply_raise

    on = f.month_start(0)
    r = _approved_raise(city_admin, data, on=on)
    before = _amounts()
    standards_before = Standard.objects.count()

    os.environ[HOLD_AT_ENV] = "raise:updated"  # the worker sleeps inside the transaction, after every UPDATE ran
    os.environ[HOLD_SECONDS_ENV] = "120"
    try:
        worker = celery_worker_process()
    finally:
        del os.environ[HOLD_AT_ENV], os.environ[HOLD_SECONDS_ENV]
    apply_raise.delay(r.pk, city_admin.pk)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        progress = services.get_progress(r.pk) or {}
        if progress.get("stage") == "updating" and progress.get("total") and progress["done"] == progress["total"]:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the apply never reached the end of its updates")
    assert _amounts() == before  # uncommitted: nobody sees the new amounts yet
    worker.kill()
    time.sleep(1)

    assert Raise.objects.get(pk=r.pk).status == RaiseStatus.APPROVED
    assert _amounts() == before
    assert Standard.objects.count() == standards_before
    assert not CaseAmountChange.objects.exists()

    celery_worker_process()
    result = apply_raise.delay(r.pk, city_admin.pk).get(timeout=120)
    assert result["applied"] and not result["already_applied"]
    expected = _expected(on)  # the reference calculation under the standards the retry inserted
    assert _amounts() == expected
    assert Standard.objects.count() == standards_before + 5  # 2 allowance + 中山区's own + 2 linked hardship
    assert CaseAmountChange.objects.filter(source_ref=f"raise:{r.pk}").count() == result["cases_changed"]
    assert apply_raise.delay(r.pk, city_admin.pk).get(timeout=120)["already_applied"]
    assert _amounts() == expected
