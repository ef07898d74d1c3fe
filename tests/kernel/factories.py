"""Kernel factories: persons and households inside a given division, built through the real services' rules
(valid ID numbers, derived birth date and sex). Registered for the permission-matrix test."""

from __future__ import annotations

import datetime as dt
import itertools

from dalian_minzheng.people import idnumbers
from dalian_minzheng.people.models import Household, HouseholdMember, Person, Relationship
from tests.factories_registry import sample_kwargs, scoped_factory

_sequence = itertools.count(1)


def make_id_number(birth: dt.date = dt.date(1960, 5, 17), address_code: str = "210202", male: bool = True) -> str:
    n = next(_sequence)
    # Vary the birth day as well as the sequence so thousands of calls stay unique.
    birth = birth + dt.timedelta(days=n // 400)
    seq = (n % 400) * 2 + (1 if male else 0)
    return idnumbers.make(address_code, birth, seq % 1000)


@scoped_factory("people.Person")
def make_person(division_code: str, name: str = "张伟", **extra) -> Person:
    parsed = idnumbers.parse(extra.pop("id_number", None) or make_id_number(address_code=division_code[:6]))
    return Person.objects.create(
        id_number=parsed.number,
        name=name,
        sex=parsed.sex,
        birth_date=parsed.birth_date,
        division_id=division_code,
        **extra,
    )


@scoped_factory("people.Household")
def make_household(division_code: str, head_name: str = "李强") -> Household:
    head = make_person(division_code, name=head_name)
    household = Household.objects.create(head=head, division_id=division_code, address="大连市测试路1号")
    HouseholdMember.objects.create(
        household=household, person=head, relationship=Relationship.HEAD, joined_on=dt.date(2020, 1, 1)
    )
    return household


@scoped_factory("people.HouseholdMember")
def make_membership(division_code: str) -> HouseholdMember:
    household = make_household(division_code)
    person = make_person(division_code, name="李小红")
    return HouseholdMember.objects.create(
        household=household, person=person, relationship=Relationship.CHILD, joined_on=dt.date(2020, 1, 1)
    )


@sample_kwargs("core:rule_table")
def rule_table_kwargs(division_code: str) -> dict:
    """Rule tables are city-wide reference data: any one of them."""
    return {"label": "raises.outlierrule"}
