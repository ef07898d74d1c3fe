"""The historical payments import kind: past months' payments onto rosters, set-based, idempotent, scoped."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from assistance.models import Payment, PaymentRoster
from tests.reports import dataset as d


def test_history_import_loads_payments_onto_rosters_and_reimport_changes_nothing(divisions, city_admin):
    d.build_year(city_admin)
    payments = Payment.objects.filter(month__year=2025)
    assert payments.count() == 12 + 12 + 6 + 9 + 12
    total = payments.aggregate(t=Sum("amount") + Sum("back_pay"))["t"]
    assert total == d.ZHONGSHAN_SPENDING + d.ZHONGSHAN_DISABILITY + d.XIGANG_SPENDING
    june = PaymentRoster.objects.get(month="2025-06-01", district_id="210202")
    assert june.built_at is None and june.status == "ready"
    assert (june.case_count, june.total_amount) == (4, Decimal("1100") + 300 + 1640 + 100 + 120)
    assert PaymentRoster.objects.filter(district_id="210203").count() == 12
    # the stopped case's payments went onto its case, months before the stop
    assert Payment.objects.filter(case__application__applicant__id_number=d.WU).count() == 6

    again = d.run_import(city_admin, "assistance.payments", d.xlsx(d.PAY_HEADER, d.payment_rows()))
    assert (again.new_count, again.updated_count, again.unchanged_count) == (0, 0, len(d.payment_rows()))
    assert Payment.objects.count() == 52

    corrected = d.run_import(
        city_admin,
        "assistance.payments",
        d.xlsx(d.PAY_HEADER, [["周淑芬", d.ZHOU, "城市低保", "2025-06-01", 1150, 300]]),
    )
    assert (corrected.new_count, corrected.updated_count) == (0, 1)
    june.refresh_from_db()
    assert june.total_amount == Decimal("1150") + 300 + 1640 + 100 + 120


def test_history_import_refuses_unknown_cases_other_districts_future_and_portal_built_months(
    divisions, city_admin, district_admin
):
    from assistance.services.rosters import build_roster

    d.build_year(city_admin)
    build_roster(month=__import__("datetime").date(2025, 11, 1), district_code="210202")  # built by the portal
    rows = [
        ["无此人", d.pid("210202", 91), "城市低保", "2025-03-01", 800, None],  # no case
        ["王秀兰", d.WANG, "城市低保", "2025-03-01", 800, None],  # 西岗区: outside the 中山区 admin's area
        ["周淑芬", d.ZHOU, "城市低保", "2999-01-01", 800, None],  # the future
        ["周淑芬", d.ZHOU, "城市低保", "2025-11-01", 800, None],  # the portal's roster
        ["周淑芬", d.ZHOU, "城市低保", "2023-05-01", 700, None],
        ["周淑芬", d.ZHOU, "城市低保", "2023-05-01", 700, None],  # twice
    ]
    job = d.run_import(district_admin, "assistance.payments", d.xlsx(d.PAY_HEADER, rows))
    reasons = dict(d.errors(job))
    assert set(reasons) == {2, 3, 4, 5, 7}, reasons
    assert "请先导入" in reasons[2] and "管辖范围" in reasons[3] and "之前" in reasons[4] and "系统生成" in reasons[5]
    assert job.new_count == 1
    assert Payment.objects.filter(month="2023-05-01").get().amount == Decimal("700")
