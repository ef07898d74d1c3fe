"""Standards (linked, banded), amounts, periodic review outcomes and the amount history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from assistance import amounts, services
from assistance.models import (
    AmountChangeReason,
    CalculationMethod,
    CaseAmountChange,
    CaseReview,
    CaseStatus,
    Programme,
    ReviewOutcome,
    Standard,
)
from tests.assistance.factories import ensure_programmes, make_case

OWN = "210202001001"


@pytest.fixture
def programmes(divisions):
    ensure_programmes()
    return {p.code: p for p in Programme.objects.all()}


def test_new_allowance_standard_carries_the_linked_hardship_standard(programmes, city_admin, district_admin):
    with pytest.raises(PermissionDenied):
        services.standard_create(
            acting_user=district_admin,
            programme_id=programmes["urban_allowance"].pk,
            amount=Decimal("850"),
            effective_from=dt.date(2027, 1, 1),
        )
    services.standard_create(
        acting_user=city_admin,
        programme_id=programmes["urban_allowance"].pk,
        amount=Decimal("850"),
        effective_from=dt.date(2027, 1, 1),
        note="2027年提标",
    )
    hardship = Standard.objects.get(programme=programmes["urban_hardship"], effective_from=dt.date(2027, 1, 1))
    assert hardship.amount == Decimal("1105.00") and hardship.multiplier == Decimal("1.300")
    # history kept: the 2026 standard is still there and still applies to 2026
    old = amounts.standard_for(programme=programmes["urban_allowance"], district_code="210202", on=dt.date(2026, 6, 1))
    assert old.amount == Decimal("800.00")
    with pytest.raises(ValidationError):  # same programme/district/date twice
        services.standard_create(
            acting_user=city_admin,
            programme_id=programmes["urban_allowance"].pk,
            amount=Decimal("860"),
            effective_from=dt.date(2027, 1, 1),
        )


def test_district_standard_overrides_city_wide(programmes, city_admin):
    services.standard_create(
        acting_user=city_admin,
        programme_id=programmes["rural_allowance"].pk,
        amount=Decimal("700"),
        effective_from=dt.date(2026, 7, 1),
        division_code="210224",
    )
    kwargs = {"programme": programmes["rural_allowance"], "on": dt.date(2026, 8, 1), "household_size": 2}
    assert amounts.monthly_amount(district_code="210224", income_per_capita=Decimal("100"), **kwargs) == Decimal(
        "1200.00"
    )
    assert amounts.monthly_amount(district_code="210281", income_per_capita=Decimal("100"), **kwargs) == Decimal(
        "1000.00"
    )


def test_banded_amounts(programmes, city_admin):
    pilot = programmes["illness_pilot"]
    pilot.calculation = CalculationMethod.BANDED
    pilot.save()
    for below, amount in (("200", "500"), ("400", "300"), ("600", "100")):
        services.band_create(
            acting_user=city_admin,
            programme_id=pilot.pk,
            effective_from=dt.date(2026, 1, 1),
            income_below=Decimal(below),
            amount=Decimal(amount),
        )
    calc = {"programme": pilot, "district_code": "210283", "on": dt.date(2026, 5, 1), "household_size": 3}
    assert amounts.monthly_amount(income_per_capita=Decimal("150"), **calc) == Decimal("1500.00")
    assert amounts.monthly_amount(income_per_capita=Decimal("200"), **calc) == Decimal("900.00")
    assert amounts.monthly_amount(income_per_capita=Decimal("599.99"), **calc) == Decimal("300.00")
    assert amounts.monthly_amount(income_per_capita=Decimal("600"), **calc) == Decimal("0.00")


def test_disability_subsidy_is_fixed_per_person(programmes):
    assert amounts.monthly_amount(
        programme=programmes["disability_care"], district_code="210202", on=dt.date(2026, 3, 1), household_size=1
    ) == Decimal("120.00")


def test_review_reduce_then_stop_keeps_amount_history(programmes, caseworker, district_admin):
    case = make_case(OWN, amount=Decimal("900.00"), first_payment_month=dt.date(2026, 1, 1))
    review = services.case_open_review(case_id=case.pk, reason="定期复核", acting_user=caseworker, trigger="scheduled")
    assert services.case_open_review(case_id=case.pk, reason="新核对疑点") == review  # one open review at a time
    case.refresh_from_db()
    assert case.status == CaseStatus.UNDER_REVIEW
    decided = services.case_decide_review(
        review_id=review.pk,
        acting_user=caseworker,
        outcome=ReviewOutcome.REDUCE,
        reason="子女就业，收入增加",
        household_size=2,
        income_per_capita=Decimal("500"),
    )
    assert decided.new_amount == Decimal("600.00")  # (800 − 500) × 2
    assert "减发" in decided.notification_text and "600" in decided.notification_text
    case.refresh_from_db()
    assert case.monthly_amount == Decimal("600.00") and case.status == CaseStatus.ACTIVE
    history = list(CaseAmountChange.objects.filter(case=case).values_list("reason", "old_amount", "new_amount"))
    assert history == [
        (AmountChangeReason.APPROVAL, None, Decimal("900.00")),
        (AmountChangeReason.REVIEW, Decimal("900.00"), Decimal("600.00")),
    ]
    # a stop needs the district admin
    review2 = services.case_open_review(case_id=case.pk, reason="死亡", acting_user=caseworker)
    with pytest.raises(PermissionDenied):
        services.case_decide_review(
            review_id=review2.pk, acting_user=caseworker, outcome=ReviewOutcome.STOP, reason="户主死亡"
        )
    services.case_decide_review(
        review_id=review2.pk, acting_user=district_admin, outcome=ReviewOutcome.STOP, reason="户主死亡"
    )
    case.refresh_from_db()
    today = timezone.localdate()
    assert case.status == CaseStatus.STOPPED and case.last_payment_month == today.replace(day=1)
    # Paid in the stop month (still the old amount: the reduction starts next month), not in the month after
    this_month = services.build_roster(month=today, district_code="210202")
    next_month = services.build_roster(month=services.add_months(today.replace(day=1), 1), district_code="210202")
    assert this_month.case_count == 1 and this_month.total_amount == Decimal("900.00")
    assert next_month.case_count == 0


def test_phase_out_pays_for_the_allowed_months_then_ends(programmes, district_admin):
    case = make_case(OWN, amount=Decimal("500.00"), first_payment_month=dt.date(2026, 1, 1))
    review = services.case_open_review(case_id=case.pk, reason="收入超过标准", acting_user=district_admin)
    services.case_decide_review(
        review_id=review.pk,
        acting_user=district_admin,
        outcome=ReviewOutcome.PHASE_OUT,
        reason="就业后收入超过标准",
        income_per_capita=Decimal("900"),
    )
    case.refresh_from_db()
    start = services.add_months(timezone.localdate().replace(day=1), 1)
    assert case.status == CaseStatus.PHASE_OUT
    assert case.phase_out_until == services.add_months(start, 5)  # 城市低保: 6 months
    last = services.build_roster(month=case.phase_out_until, district_code="210202")
    after = services.build_roster(month=services.add_months(case.phase_out_until, 1), district_code="210202")
    assert last.case_count == 1 and after.case_count == 0


def test_phase_out_refused_where_the_programme_has_none(programmes, district_admin):
    case = make_case(OWN)
    case.programme = programmes["disability_care"]
    case.save()
    review = services.case_open_review(case_id=case.pk, reason="x", acting_user=district_admin)
    with pytest.raises(ValidationError):
        services.case_decide_review(
            review_id=review.pk, acting_user=district_admin, outcome=ReviewOutcome.PHASE_OUT, reason="x"
        )


def test_due_reviews_opened_set_based_and_once(programmes):
    due = make_case(OWN, next_review_due=dt.date(2026, 1, 1))
    make_case(OWN, next_review_due=dt.date(2099, 1, 1))
    assert services.reviews_open_due(on=dt.date(2026, 2, 1)) == 1
    assert services.reviews_open_due(on=dt.date(2026, 2, 1)) == 0
    assert CaseReview.objects.get(outcome="").case_id == due.pk


def test_review_interval_follows_household_type(programmes):
    p = programmes["urban_allowance"]
    start = dt.date(2026, 3, 1)
    assert services.next_review_due(programme=p, unstable_income=False, from_month=start) == dt.date(2027, 3, 1)
    assert services.next_review_due(programme=p, unstable_income=True, from_month=start) == dt.date(2026, 9, 1)


def test_set_check_status_records_timeline_and_rejects_unknown(programmes):
    case = make_case(OWN)
    services.application_set_check_status(application_id=case.application_id, status="findings_open")
    case.application.refresh_from_db()
    assert case.application.check_status == "findings_open"
    assert case.application.timeline.filter(kind="check").exists()
    with pytest.raises(ValueError):
        services.application_set_check_status(application_id=case.application_id, status="bogus")
