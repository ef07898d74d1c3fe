"""A blank cell is unknown, never zero (issue 12): every import kind's numeric and date columns, left empty, are either
stored as missing or reject the row with a Chinese reason where the rules need the value."""

from __future__ import annotations

import datetime as dt

import pytest

from dalian_minzheng.people.idnumbers import make
from dalian_minzheng.spreadsheets import engine
from dalian_minzheng.spreadsheets.registry import get_kind

pytestmark = pytest.mark.django_db

COMMUNITY = "210202001001"
REQUIRED = "此列为必填项。"


def _check(kind: str, header: list, rows: list[list], user):
    ctx = engine.context_for(user.division, user.pk)
    return engine.check_rows(get_kind(kind), header, enumerate(rows, 1), ctx)


def _reasons(checked, number: int) -> list[str]:
    return [reason for _column, _value, reason in checked.errors.get(number, [])]


@pytest.fixture
def reference_data(divisions):
    from assistance import reference
    from assistance.checks import reference as checks_reference

    reference.load()
    checks_reference.load()


def test_persons_and_households_blank_birth_date_is_taken_from_the_id_number(divisions, district_admin):
    number = make("210202", dt.date(1971, 2, 3), 11)
    header = ["姓名", "身份证号", "出生日期", "区划代码"]
    checked = _check("people.persons", header, [["王一", number, None, COMMUNITY]], district_admin)
    assert checked.errors == {} and checked.values[1]["birth_date"] is None
    head = make("210202", dt.date(1965, 1, 1), 21)
    checked = _check(
        "people.household_members",
        ["户主身份证号", "姓名", "身份证号", "与户主关系", "出生日期", "区划代码"],
        [[head, "赵二", head, "户主", "", COMMUNITY]],
        district_admin,
    )
    assert checked.errors == {} and checked.values[1]["birth_date"] is None


CASE_HEADER = ["姓名", "身份证号", "区划代码", "救助类别", "家庭人口", "月保障金额", "家庭月人均收入", "开始发放月份",
               "下次复核日期"]  # fmt: skip


def test_existing_cases_blank_numbers_and_dates(reference_data, district_admin):
    def row(seq, size=2, amount=900, income="", first="2024-03-01", review=""):
        return [f"张{seq}", make("210202", dt.date(1960, 5, 5), seq), COMMUNITY, "城市低保", size, amount, income,
                first, review]  # fmt: skip

    checked = _check(
        "assistance.cases",
        CASE_HEADER,
        [row(1), row(2, size=""), row(3, amount=None), row(4, first=""), row(5, income="  ")],
        district_admin,
    )
    # blank income and review date: the row passes, the values stay missing (never 0)
    assert 1 in checked.values and checked.values[1]["income"] is None and checked.values[1]["next_review"] is None
    assert 5 in checked.values and checked.values[5]["income"] is None
    # the rules need the household size, the amount and the first month: the row is rejected, saying so
    for number in (2, 3, 4):
        assert REQUIRED in _reasons(checked, number), (number, checked.errors)


def test_department_delivery_blank_value_is_missing_and_blank_date_rejected(reference_data, city_admin):
    number = make("210202", dt.date(1970, 5, 6), 11)
    header = ["部门代码", "交付批次号", "数据截止日期", "身份证号", "数据项", "值"]
    checked = _check(
        "checks.department_delivery",
        header,
        [
            ["public_security", "GA-B1", "2026-10-31", number, "vehicle", ""],
            ["public_security", "GA-B1", "", number, "hukou", 1],
        ],
        city_admin,
    )
    assert 1 in checked.values and checked.values[1]["value"] is None
    assert REQUIRED in _reasons(checked, 2)
