"""Issue 12, item 2: every amount is explained. The case page says what the current amount rests on; the monthly
reconciliation proves roster total = cases' amounts − stops + back pay per district, on a month with a stop, a back
pay and a raise, and lists a difference case by case when the roster no longer matches."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from assistance import reconciliation, services
from assistance.models import AmountChangeReason
from assistance.raises import services as raise_services
from dalian_minzheng.audit.models import AccessEvent
from tests.conftest import TEST_PASSWORD
from tests.raises import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def month_with_stop_back_pay_and_raise(divisions, district_admin, city_admin):
    progs = f.standards()
    a = f.make_case("210202001001", household_size=2, income="100", name="张建华")  # 1900.00
    b = f.make_case("210202001001", household_size=3, income="200", name="李国强")  # 2550.00
    c = f.make_case("210202001001", household_size=1, income="0", name="王秀英")  # 1050.00
    f.make_case("210203001001", household_size=2, income="100")  # another district: not in the figures
    services.case_stop(case_id=c.pk, acting_user=district_admin, reason="家庭收入超过标准",
                       on=f.month_start(-1) + dt.timedelta(days=9))  # fmt: skip
    raised = raise_services.raise_create(
        acting_user=city_admin, title="低保标准提高10元", programmes=[progs["raise_urban_allowance"]],
        components=["basic"], method="increase_amount", value=Decimal("10"), rounding="fen",
        effective_from=f.month_start(-1),
    )  # fmt: skip
    raise_services.raise_approve(acting_user=city_admin, raise_record=raised)
    raise_services.raise_apply(raise_id=raised.pk, acting_user=city_admin)  # back pay for last month
    roster = services.build_roster(month=f.month_start(0), district_code="210202")
    for case in (a, b, c):
        case.refresh_from_db()
    return {"a": a, "b": b, "c": c, "raise": raised, "roster": roster}


def test_roster_total_is_cases_amounts_minus_stops_plus_back_pay(month_with_stop_back_pay_and_raise, district_admin):
    data = month_with_stop_back_pay_and_raise
    a, b = data["a"], data["b"]
    assert (a.monthly_amount, b.monthly_amount) == (Decimal("1920.00"), Decimal("2580.00"))
    result = reconciliation.reconcile(user=district_admin, district="210202", month=f.month_start(0))
    assert result.cases == 3 and result.cases_total == Decimal("1920.00") + Decimal("2580.00") + Decimal("1050.00")
    assert (result.stops, result.stops_total) == (1, Decimal("1050.00"))
    assert (result.back_pay_cases, result.back_pay_total) == (2, Decimal("20.00") + Decimal("30.00"))
    assert result.roster_total == data["roster"].total_amount == Decimal("4550.00")
    assert result.expected == result.roster_total and result.difference == 0
    assert result.balanced and result.differences == []
    assert [(r["id"], r["cases"], r["change"]) for r in result.raises] == [(data["raise"].pk, 2, Decimal("50.00"))]


def test_a_change_after_the_build_is_listed_case_by_case(month_with_stop_back_pay_and_raise, district_admin):
    data = month_with_stop_back_pay_and_raise
    b = data["b"]
    services.case_change_amount(case_id=b.pk, new_amount=Decimal("2600.00"), effective_from=f.month_start(0),
                                reason=AmountChangeReason.CORRECTION, note="更正")  # fmt: skip
    result = reconciliation.reconcile(user=district_admin, district="210202", month=f.month_start(0))
    assert not result.balanced and result.difference == Decimal("-20.00")
    assert [(d.case_id, d.expected, d.paid, d.why) for d in result.differences] == [
        (b.pk, Decimal("2630.00"), Decimal("2610.00"), "amount")
    ]
    assert result.differences[0].name == "李国强" and "*" in result.differences[0].id_number


def test_reconciliation_page_and_export_are_scoped(client, month_with_stop_back_pay_and_raise, district_admin,
                                                   city_admin, make_user):  # fmt: skip
    client.login(username=district_admin.username, password=TEST_PASSWORD)
    url = reverse("assistance:roster_reconciliation")
    month = f"{f.month_start(0):%Y-%m}"
    body = client.get(url, {"district": "210202", "month": month}).content.decode()
    assert "对账" in body and 'id="r-difference">0.00<' in body and "低保标准提高10元" in body
    assert client.get(url, {"district": "210203", "month": month}).status_code == 404  # another district
    client.logout()
    client.login(username=city_admin.username, password=TEST_PASSWORD)
    response = client.get(reverse("assistance:roster_reconciliation_export"), {"district": "210202", "month": month})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}
    assert len(values) == 8 and 0 in values.values() or 0.0 in values.values()
    assert AccessEvent.objects.filter(detail__kind="assistance.roster_reconciliation").count() == 1


def test_case_page_explains_the_amount(client, month_with_stop_back_pay_and_raise, district_admin):
    data = month_with_stop_back_pay_and_raise
    client.login(username=district_admin.username, password=TEST_PASSWORD)
    body = client.get(reverse("assistance:case_detail", args=[data["a"].pk])).content.decode()
    assert 'id="amount-basis"' in body
    assert "(1060.00 − 100.00) × 2 = 1920.00" in body  # standard, income, size
    assert "低保标准提高10元" in body  # the raise that set it, linked
    assert reverse("raises:detail", args=[data["raise"].pk]) in body
