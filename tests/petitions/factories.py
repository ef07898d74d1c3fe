"""Scoped factories and small builders for petitions and the assistance records they link to."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from tests.factories_registry import scoped_factory

_seq = itertools.count(1)


def make_person(division_code: str, name: str = "张三丰", *, birth: dt.date = dt.date(1965, 4, 12)):
    from dalian_minzheng.people import idnumbers
    from dalian_minzheng.people.models import Person

    n = next(_seq)
    number = idnumbers.make(division_code[:6], birth, (n * 2 + 1) % 1000)
    while Person.objects.filter(id_number=number).exists():
        n = next(_seq)
        number = idnumbers.make(division_code[:6], birth, (n * 2 + 1) % 1000)
    return Person.objects.create(
        id_number=number, name=name, sex="M", birth_date=birth, division_id=division_code, address="测试路1号"
    )


def allowance_programme():
    from assistance.models import Programme

    programme, _ = Programme.objects.get_or_create(
        code="urban_allowance",
        defaults={"name": "城市低保", "kind": "allowance", "hukou_type": "urban", "calculation": "top_up"},
    )
    return programme


def make_case(
    division_code: str,
    name: str = "张三丰",
    *,
    household_size: int = 3,
    amount: Decimal = Decimal("1520.00"),
    status: str = "active",
):
    """A household in `division_code` with an approved application and an active case."""
    from assistance.models import Application, Case
    from dalian_minzheng.people.models import Household, HouseholdMember

    person = make_person(division_code, name)
    household = Household.objects.create(head=person, division_id=division_code, address=person.address)
    HouseholdMember.objects.create(
        household=household, person=person, relationship="head", joined_on=dt.date(2018, 1, 1)
    )
    programme = allowance_programme()
    application = Application.objects.create(
        household=household,
        applicant=person,
        programme=programme,
        division_id=division_code,
        status="approved",
        accepted_on=dt.date(2018, 1, 5),
        household_size=household_size,
        proposed_amount=amount,
    )
    return Case.objects.create(
        application=application,
        household=household,
        programme=programme,
        division_id=division_code,
        status=status,
        household_size=household_size,
        monthly_amount=amount,
        first_payment_month=dt.date(2018, 2, 1),
    )


@scoped_factory("petitions.Petition")
def make_petition(division_code: str, **fields):
    from assistance.petitions.models import Petition

    n = next(_seq)
    defaults = {
        "number": f"XF2099-{n:06d}",
        "division_id": division_code,
        "petitioner_name": "李四",
        "channel": "visit",
        "received_on": dt.date(2018, 3, 1),
        "subject": "低保金额有异议",
        "content": "反映低保金额计算有误。",
        "due_working_days": 15,
        "due_on": dt.date(2018, 3, 22),
    }
    defaults.update(fields)
    return Petition.objects.create(**defaults)
