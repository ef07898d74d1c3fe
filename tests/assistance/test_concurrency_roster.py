"""Races and idempotency on committed data: two admins approving at once, double submits, the roster task run by a
real Celery worker twice."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from assistance import services, tasks
from assistance.models import (
    Application,
    ApplicationStatus,
    Case,
    CaseAmountChange,
    CheckStatus,
    Payment,
    PaymentRoster,
)
from tests.assistance.factories import make_application, make_case

OWN = "210202001001"


def run_at_once(*funcs):
    """Run callables in threads (each with its own database connection), released together by a barrier."""
    barrier = threading.Barrier(len(funcs))
    results: list = [None] * len(funcs)

    def runner(i, func):
        try:
            barrier.wait()
            results[i] = ("ok", func())
        except Exception as exc:  # noqa: BLE001 — the test inspects what each thread got
            results[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(funcs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_admins_approving_at_once_give_exactly_one_case(divisions, make_user):
    admin_a = make_user("da_a", "district_admin", "210202")
    admin_b = make_user("da_b", "district_admin", "210202")
    application = make_application(
        OWN,
        status=ApplicationStatus.PENDING_DECISION,
        check_status=CheckStatus.CLEAR,
        monthly_income_per_capita=Decimal("300"),
    )
    results = run_at_once(
        lambda: services.application_approve(application_id=application.pk, acting_user=admin_a),
        lambda: services.application_approve(application_id=application.pk, acting_user=admin_b),
    )
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, ValidationError)
    assert Case.objects.filter(application=application).count() == 1
    assert CaseAmountChange.objects.filter(case__application=application).count() == 1
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.APPROVED


@pytest.mark.django_db(transaction=True)
def test_double_submit_of_the_acceptance_form_gives_one_application(divisions, make_user):
    from assistance.models import Programme
    from tests.assistance.factories import ensure_programmes, make_household

    caseworker = make_user("cw_race", "caseworker", "210202001")
    ensure_programmes()
    household = make_household(OWN)
    programme = Programme.objects.get(code="urban_allowance")

    def submit():
        return services.application_register(
            acting_user=caseworker, household_id=household.pk, programme_id=programme.pk, documents_provided=[]
        )

    results = run_at_once(submit, submit, submit)
    assert sorted(kind for kind, _ in results) == ["error", "error", "ok"], results
    assert Application.objects.filter(household=household).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_roster_builds_at_once_leave_one_roster(divisions):
    for _ in range(5):
        make_case(OWN, first_payment_month=dt.date(2026, 1, 1))
    month = dt.date(2026, 6, 1)
    results = run_at_once(
        lambda: services.build_roster(month=month, district_code="210202"),
        lambda: services.build_roster(month=month, district_code="210202"),
    )
    assert all(kind == "ok" for kind, _ in results), results
    assert PaymentRoster.objects.filter(month=month, district_id="210202").count() == 1
    assert Payment.objects.filter(month=month).count() == 5


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_roster_task_on_a_real_worker_is_idempotent(divisions, celery_worker_process):
    cases = [make_case(OWN, amount=Decimal("700.00"), first_payment_month=dt.date(2026, 1, 1)) for _ in range(4)]
    make_case("210203001001", first_payment_month=dt.date(2026, 1, 1))  # another district: not in this roster
    late = make_case(OWN, first_payment_month=dt.date(2026, 8, 1))  # starts later: not in this roster
    stopped = cases[0]
    stopped.status = "stopped"
    stopped.last_payment_month = dt.date(2026, 6, 1)
    stopped.save()
    celery_worker_process()

    first = tasks.build_roster.delay("2026-07-01", "210202").get(timeout=120)
    rows_first = sorted(Payment.objects.filter(month=dt.date(2026, 7, 1)).values_list("case_id", "amount"))
    second = tasks.build_roster.delay("2026-07-01", "210202").get(timeout=120)
    rows_second = sorted(Payment.objects.filter(month=dt.date(2026, 7, 1)).values_list("case_id", "amount"))

    assert first["roster"] == second["roster"]
    assert first["cases"] == second["cases"] == 3
    assert first["total"] == second["total"] == "2100.00"
    assert rows_first == rows_second
    assert {case_id for case_id, _ in rows_first} == {c.pk for c in cases[1:]}
    assert late.pk not in {case_id for case_id, _ in rows_first}
    assert PaymentRoster.objects.filter(month=dt.date(2026, 7, 1)).count() == 1
    # the audit trail carries the task as the cause
    from django.db import connection as conn

    with conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pghistory_context WHERE metadata->>'task' = 'assistance.build_roster'")
        assert cursor.fetchone()[0] >= 1
