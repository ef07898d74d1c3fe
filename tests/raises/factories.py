"""Builders for raise tests: programmes with standards (a linked hardship standard, care amounts, the two
disability subsidies) and households with cases, created directly as Application + Case rows."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from tests.factories_registry import sample_kwargs

_seq = itertools.count(1)

PROGRAMMES = {
    # code: (name, kind, hukou, calculation)
    "raise_urban_allowance": ("城市低保", "allowance", "urban", "top_up"),
    "raise_rural_allowance": ("农村低保", "allowance", "rural", "top_up"),
    "raise_urban_hardship": ("城市特困", "hardship", "urban", "fixed_per_person"),
    "raise_disability_living": ("困难残疾人生活补贴", "disability_living", "", "fixed_per_person"),
    "raise_disability_care": ("重度残疾人护理补贴", "disability_care", "", "fixed_per_person"),
    "raise_illness_pilot": ("因病致贫家庭救助试点", "illness_pilot", "rural", "banded"),
}


def month_start(offset: int = 0) -> dt.date:
    """First day of the month `offset` months from the current one (local time)."""
    from django.utils import timezone

    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 + offset
    return dt.date(index // 12, index % 12 + 1, 1)


BASE_DATE = dt.date(2020, 1, 1)


def programme(code: str):
    from assistance.models import Programme

    name, kind, hukou, calculation = PROGRAMMES[code]
    obj, _ = Programme.objects.get_or_create(
        code=code, defaults={"name": name, "kind": kind, "hukou_type": hukou, "calculation": calculation}
    )
    return obj


def standard(code: str, amount: str, *, division: str | None = None, care_level: str = "", on=BASE_DATE, **kw):
    from assistance.models import Standard

    return Standard.objects.create(
        programme=programme(code),
        division_id=division,
        care_level=care_level,
        amount=Decimal(amount),
        effective_from=on,
        **kw,
    )


def standards() -> dict:
    """Dalian-like standards in force since 2020-01-01: urban allowance 1000 city-wide and 1050 in 中山区 (own row),
    rural 800; hardship = 1.3 × urban allowance (linked), care amounts by level; the two disability subsidies."""
    urban = programme("raise_urban_allowance")
    standard("raise_urban_allowance", "1000.00")
    standard("raise_urban_allowance", "1050.00", division="210202")
    standard("raise_rural_allowance", "800.00")
    standard("raise_urban_hardship", "1300.00", base_programme=urban, multiplier=Decimal("1.300"))
    standard("raise_urban_hardship", "1365.00", division="210202", base_programme=urban, multiplier=Decimal("1.300"))
    standard("raise_urban_hardship", "100.00", care_level="self_care")
    standard("raise_urban_hardship", "350.00", care_level="half_care")
    standard("raise_urban_hardship", "700.00", care_level="full_care")
    standard("raise_disability_living", "90.00")
    standard("raise_disability_care", "120.00")
    from assistance.models import StandardBand

    pilot = programme("raise_illness_pilot")
    for division, scale in ((None, (("300", "500"), ("600", "300"), ("900", "100"))), ("210203", (("400", "550"),))):
        for below, amount in scale:
            StandardBand.objects.create(
                programme=pilot, division_id=division, effective_from=BASE_DATE, income_below=Decimal(below),
                amount=Decimal(amount),
            )  # fmt: skip
    return {code: programme(code) for code in PROGRAMMES}


def make_person(division_code: str, name: str = "李建华"):
    from dalian_minzheng.people import idnumbers
    from dalian_minzheng.people.models import Person

    while True:
        n = next(_seq)
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=n % 18000)
        number = idnumbers.make(division_code[:6], birth, (n * 7) % 1000)
        if not Person.objects.filter(id_number=number).exists():
            break
    return Person.objects.create(
        id_number=number, name=name, sex="M" if n % 2 else "F", birth_date=birth, division_id=division_code
    )


def make_case(
    division_code: str,
    code: str = "raise_urban_allowance",
    *,
    household_size: int = 2,
    income: str = "0",
    care_level: str = "",
    status: str = "active",
    amount: Decimal | None = None,
    first_payment_month: dt.date | None = None,
    name: str = "李建华",
):
    """A household with an approved application and a case; the amount is the reference calculation unless given."""
    from assistance import amounts
    from assistance.models import Application, Case
    from dalian_minzheng.people.models import Household

    prog = programme(code)
    first_payment_month = first_payment_month or dt.date(2020, 2, 1)
    person = make_person(division_code, name)
    household = Household.objects.create(head=person, division_id=division_code)
    application = Application.objects.create(
        household=household,
        applicant=person,
        programme=prog,
        division_id=division_code,
        status="approved",
        accepted_on=dt.date(2024, 12, 1),
        care_level=care_level,
        household_size=household_size,
        monthly_income_per_capita=Decimal(income),
    )
    if amount is None:
        amount = amounts.monthly_amount(
            programme=prog,
            district_code=division_code[:6],
            on=first_payment_month,
            household_size=household_size,
            income_per_capita=Decimal(income),
            care_level=care_level,
        )
    return Case.objects.create(
        application=application,
        household=household,
        programme=prog,
        division_id=division_code,
        status=status,
        care_level=care_level,
        household_size=household_size,
        monthly_income_per_capita=Decimal(income),
        monthly_amount=amount,
        first_payment_month=first_payment_month,
        stopped_on=month_start(-3) - dt.timedelta(days=1) if status == "stopped" else None,
        last_payment_month=month_start(-4) if status == "stopped" else None,
        phase_out_until=month_start(4) - dt.timedelta(days=1) if status == "phase_out" else None,
    )


COMMUNITIES = ["210202001001", "210203001001", "210204006001", "210211001001", "210281001001"]


def mixed_cases() -> list:
    """Top-up cases in several districts (incomes below, near and above the standard), hardship cases at every care
    level, both disability subsidies, stopped, phase-out and under-review cases, and one starting in the future."""
    cases = []
    for i, community in enumerate(COMMUNITIES):
        for size, income in ((1, "0"), (3, "420.50"), (2, "999.99"), (4, "1020.00"), (2, "1200.00")):
            cases.append(make_case(community, household_size=size, income=income))
        cases.append(make_case(community, "raise_rural_allowance", household_size=3, income="300.33"))
        for care in ("", "self_care", "half_care", "full_care"):
            cases.append(make_case(community, "raise_urban_hardship", household_size=1, care_level=care))
        cases.append(make_case(community, "raise_disability_living", household_size=1))
        cases.append(make_case(community, "raise_disability_care", household_size=1))
        for income in ("0", "299.99", "300", "650.5", "950"):  # banded: every band, and above all of them
            cases.append(make_case(community, "raise_illness_pilot", household_size=2, income=income))
        cases.append(make_case(community, household_size=2, income="100", status="stopped"))
        cases.append(make_case(community, household_size=2, income="100", status="phase_out"))
        cases.append(make_case(community, household_size=3, income="250", status="under_review"))
        cases.append(make_case(community, household_size=2, income="10", first_payment_month=month_start(2)))
        if i == 0:
            # an amount that was corrected by hand: the raise recomputes it from the standard anyway
            cases.append(make_case(community, household_size=2, income="500", amount=Decimal("1.00")))
    return cases


def tolerate_outliers():
    """An outlier rule no change of `mixed_cases` exceeds (its hand-corrected amount jumps to the standard): for the
    tests of the recomputation itself, which approve raises without a second admin. The guard has its own tests
    (tests/raises/test_outliers.py)."""
    from assistance.raises.models import OutlierRule

    return OutlierRule.objects.create(
        effective_from=dt.date(2000, 1, 1), case_factor=Decimal("1000"), district_above_percent=Decimal("9999"),
        note="tests of the recomputation",
    )  # fmt: skip


@sample_kwargs(
    "raises:detail",
    "raises:edit",
    "raises:approve",
    "raises:withdraw",
    "raises:apply",
    "raises:progress",
    "raises:preview",
    "raises:preview_export",
    "raises:report",
    "raises:report_export",
    "raises:notice",
    "raises:acknowledge",
)
def sample_raise(division_code: str) -> dict:
    """The permission matrix's URL kwargs: a raise is a city-wide decision, not a division's record, so every
    reader may open every raise (the case figures inside are scoped by the selectors)."""
    from assistance.raises.models import Raise

    raise_record = Raise.objects.filter(title="permission matrix").first() or Raise.objects.create(
        title="permission matrix", method="increase_amount", value=10, effective_from=dt.date(2030, 1, 1),
        components=["basic"],
    )  # fmt: skip
    return {"pk": raise_record.pk}
