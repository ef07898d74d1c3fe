"""Assistance factories: one record inside a given division code (a 12-digit community or a 9-digit street).
Registered for the permission-matrix test; also used by the casework tests."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from assistance import reference
from assistance.models import (
    AmountChangeReason,
    Application,
    ApplicationStatus,
    Case,
    CaseAmountChange,
    CaseReview,
    CheckStatus,
    PaymentRoster,
    Programme,
    PublicNotice,
    ReviewTrigger,
)
from dalian_minzheng.people import idnumbers
from dalian_minzheng.people.models import Division, Household, HouseholdMember, Person
from tests.factories_registry import scoped_factory

_sequence = itertools.count(1)
_months = itertools.count(0)
SURNAMES = "王李张刘陈杨赵黄周吴"
GIVEN = ["秀英", "建华", "桂兰", "志强", "丽华", "国庆", "晓明", "玉梅"]


def make_id_number(address_code: str = "210202", male: bool = True) -> str:
    n = next(_sequence)
    birth = dt.date(1971, 2, 3) + dt.timedelta(days=n // 400)
    seq = ((n % 400) * 2 + (1 if male else 0)) % 1000
    return idnumbers.make(address_code, birth, seq)


def ensure_programmes() -> None:
    if not Programme.objects.filter(code="urban_allowance").exists():
        reference.load()


def make_household(division_code: str, size: int = 2, head_name: str | None = None) -> Household:
    """A household of `size` members registered in the division (which must exist)."""
    division = Division.objects.get(pk=division_code)
    members = []
    for i in range(size):
        n = next(_sequence)
        name = head_name if (i == 0 and head_name) else SURNAMES[n % 10] + GIVEN[n % 8]
        number = make_id_number(division_code[:6], male=i % 2 == 0)
        parsed = idnumbers.parse(number)
        members.append(
            Person.objects.create(
                id_number=number,
                name=name,
                sex=parsed.sex,
                birth_date=parsed.birth_date,
                division=division,
            )
        )
    household = Household.objects.create(head=members[0], division=division, address="大连市中山区人民路1号")
    for i, person in enumerate(members):
        HouseholdMember.objects.create(
            household=household,
            person=person,
            relationship="head" if i == 0 else "spouse" if i == 1 else "child",
            joined_on=dt.date(2020, 1, 1),
        )
    return household


@scoped_factory("assistance.Application")
def make_application(
    division_code: str, status: str = ApplicationStatus.ACCEPTED, programme_code: str = "urban_allowance", **extra
) -> Application:
    ensure_programmes()
    household = make_household(division_code, size=extra.pop("size", 2))
    today = dt.date.today()
    return Application.objects.create(
        household=household,
        applicant=household.head,
        programme=Programme.objects.get(code=programme_code),
        division_id=division_code,
        status=status,
        accepted_on=extra.pop("accepted_on", today),
        due_on=extra.pop("due_on", today + dt.timedelta(days=40)),
        household_size=household.members.count(),
        **extra,
    )


@scoped_factory("assistance.Case")
def make_case(division_code: str, amount: Decimal = Decimal("900.00"), **extra) -> Case:
    application = make_application(
        division_code,
        status=ApplicationStatus.APPROVED,
        check_status=CheckStatus.CLEAR,
        monthly_income_per_capita=Decimal("350"),
    )
    first = extra.pop("first_payment_month", dt.date.today().replace(day=1))
    case = Case.objects.create(
        application=application,
        household=application.household,
        programme=application.programme,
        division_id=division_code,
        household_size=application.household_size,
        monthly_income_per_capita=Decimal("350"),
        monthly_amount=amount,
        first_payment_month=first,
        next_review_due=extra.pop("next_review_due", first + dt.timedelta(days=365)),
        **extra,
    )
    CaseAmountChange.objects.create(
        case=case, effective_from=first, old_amount=None, new_amount=amount, reason=AmountChangeReason.APPROVAL
    )
    return case


@scoped_factory("assistance.CaseReview")
def make_review(division_code: str) -> CaseReview:
    case = make_case(division_code)
    return CaseReview.objects.create(
        case=case, trigger=ReviewTrigger.SCHEDULED, reason="定期复核", opened_on=dt.date.today()
    )


@scoped_factory("assistance.PublicNotice")
def make_notice(division_code: str) -> PublicNotice:
    application = make_application(division_code, status=ApplicationStatus.PUBLICITY, proposed_amount=Decimal("800"))
    today = dt.date.today()
    return PublicNotice.objects.create(
        application=application,
        division_id=division_code,
        public_name=idnumbers.mask_name(application.applicant.name),
        household_size=application.household_size,
        amount=Decimal("800"),
        starts_on=today,
        ends_on=today + dt.timedelta(days=6),
    )


@scoped_factory("assistance.PaymentRoster")
def make_roster(division_code: str) -> PaymentRoster:
    n = next(_months)
    month = dt.date(2030 + n // 12, n % 12 + 1, 1)
    return PaymentRoster.objects.create(month=month, district_id=division_code[:6])
