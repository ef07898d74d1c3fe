"""The casework pages without a guard elsewhere answer in a constant number of queries, for every role that may open
them: the same count with a few rows as with many (the shape of tests/kernel/test_query_counts.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assistance.models import Payment, Standard, WorkdayOverride
from tests.assistance.factories import make_case, make_roster

pytestmark = pytest.mark.django_db
OWN = "210202001"
ALL_ROLES = ["caseworker", "district_admin", "city_admin", "auditor"]
ROSTER_READERS = ["district_admin", "city_admin", "auditor"]
_days = iter(range(1, 100_000))


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx)


def _assert_constant(client, url, grow, what: str) -> None:
    grow(3)
    client.get(url)  # warm per-process caches (content types, translations, programme choices)
    few = _count(client, url)
    grow(12)
    many = _count(client, url)
    assert many == few, f"{what}: {few} queries with few rows, {many} with many"


def _add_rosters(n: int) -> None:
    for _ in range(n):
        make_roster(OWN)


def _add_standards(n: int) -> None:
    programme = make_case(OWN).programme
    for i in range(n):
        Standard.objects.create(
            programme=programme,
            division_id=OWN[:6] if i % 2 else None,
            amount=Decimal("900") + i,
            effective_from=dt.date(2031, 1, 1) + dt.timedelta(days=next(_days)),
        )


def _add_workdays(n: int) -> None:
    for _ in range(n):
        WorkdayOverride.objects.create(
            date=dt.date(2040, 1, 1) + dt.timedelta(days=next(_days)), is_workday=True, note="调休"
        )


@pytest.mark.parametrize("role", ROSTER_READERS)
def test_roster_list_constant_queries(client, request, role):
    client.force_login(request.getfixturevalue(role))
    _assert_constant(client, reverse("assistance:roster_list"), _add_rosters, f"roster list as {role}")


@pytest.mark.parametrize("role", ROSTER_READERS)
def test_roster_detail_constant_queries(client, request, role):
    client.force_login(request.getfixturevalue(role))
    roster = make_roster(OWN)

    def add_payments(n: int) -> None:
        for _ in range(n):
            case = make_case(OWN)
            Payment.objects.create(
                roster=roster,
                case=case,
                month=roster.month,
                division_id=case.division_id,
                programme_id=case.programme_id,
                amount=case.monthly_amount,
            )

    url = reverse("assistance:roster_detail", args=[roster.pk])
    _assert_constant(client, url, add_payments, f"roster detail as {role}")


@pytest.mark.parametrize("role", ALL_ROLES)
def test_standard_list_constant_queries(client, request, role):
    client.force_login(request.getfixturevalue(role))
    _assert_constant(client, reverse("assistance:standard_list"), _add_standards, f"standards as {role}")


@pytest.mark.parametrize("role", ALL_ROLES)
def test_workday_list_constant_queries(client, request, role):
    client.force_login(request.getfixturevalue(role))
    _assert_constant(client, reverse("assistance:workday_list"), _add_workdays, f"working days as {role}")
