"""The kernel's death hand-off in social assistance: a death stops the person's benefits from the month after it
(set-based, through the assistance services, timeline and audit), sends a household with living members to review,
lists a payment already made for a later month for recovery, and changes nothing the second time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from assistance import services
from assistance.models import Case, CaseReview, CaseStatus, EventKind, Payment, PaymentRoster, Programme, TimelineEvent
from dalian_minzheng.people import services as people
from dalian_minzheng.people.models import HouseholdMember
from tests.kernel.factories import make_person
from tests.petitions.factories import make_case

pytestmark = pytest.mark.django_db
COMMUNITY = "210202001001"
DIED = dt.date(2026, 5, 25)


def test_a_single_persons_allowance_stops_after_the_month_of_death(caseworker, district_admin):
    case = make_case(COMMUNITY, "独居老人", household_size=1)
    roster = PaymentRoster.objects.create(month=dt.date(2026, 6, 1), district_id="210202", status="ready")
    june = Payment.objects.create(
        roster=roster,
        case=case,
        month=dt.date(2026, 6, 1),
        division_id=COMMUNITY,
        programme_id=case.programme_id,
        amount=case.monthly_amount,
    )
    people.person_record_death(acting_user=caseworker, person=case.application.applicant, died_on=DIED)
    case.refresh_from_db()
    assert case.status == CaseStatus.STOPPED and case.stop_reason == "死亡"
    assert case.last_payment_month == dt.date(2026, 5, 1) and case.stopped_on == DIED
    assert TimelineEvent.objects.filter(case=case, kind=EventKind.STOPPED).count() == 1
    assert list(services.payments_after_death(user=district_admin)) == [june]
    # the same death again (a re-imported death list) changes nothing
    assert (
        people.deaths_hand_off(acting_user=caseworker, person_ids=[case.application.applicant_id])[
            "assistance.services.deaths.cases_stop_for_deaths"
        ]
        == 0
    )
    assert TimelineEvent.objects.filter(case=case, kind=EventKind.STOPPED).count() == 1


def test_a_household_with_living_members_goes_to_review(caseworker):
    case = make_case(COMMUNITY, "户主", household_size=2)
    spouse = make_person(COMMUNITY, "配偶")
    HouseholdMember.objects.create(
        household=case.household, person=spouse, relationship="spouse", joined_on=dt.date(2018, 1, 1)
    )
    people.person_record_death(acting_user=caseworker, person=case.application.applicant, died_on=DIED)
    case.refresh_from_db()
    assert case.status == CaseStatus.UNDER_REVIEW
    review = CaseReview.objects.get(case=case, outcome="")
    assert "家庭成员死亡" in review.reason and review.trigger == "change_reported"
    people.deaths_hand_off(acting_user=caseworker, person_ids=[case.application.applicant_id])
    assert CaseReview.objects.filter(case=case).count() == 1
    assert CaseReview.objects.get(case=case).reason.count("家庭成员死亡") == 1


def test_a_disability_subsidy_stops_even_with_living_members(caseworker):
    case = make_case(COMMUNITY, "残疾人", household_size=2, amount=Decimal("100.00"))
    Programme.objects.filter(pk=case.programme_id).update(kind="disability_living")
    HouseholdMember.objects.create(
        household=case.household,
        person=make_person(COMMUNITY, "家属"),
        relationship="child",
        joined_on=dt.date(2018, 1, 1),
    )
    people.person_record_death(acting_user=caseworker, person=case.application.applicant, died_on=DIED)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.STOPPED
