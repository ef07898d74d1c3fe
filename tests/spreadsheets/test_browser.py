"""Playwright journey in the system Chromium, with a real worker: a district admin uploads a file with one bad
row, reads the reason, fixes the file, uploads it again and imports it."""

from __future__ import annotations

import pytest

from dalian_minzheng.people.models import HouseholdMember, Person

from .helpers import household_rows, xlsx_bytes

pytestmark = [pytest.mark.browser, pytest.mark.worker]


def upload_and_check(page, path):
    page.goto("/spreadsheets/")
    page.select_option("#id_kind", "people.household_members")
    page.set_input_files("#id_file", str(path))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#mapping")
    assert "与户主关系" in page.inner_text("#mapping")
    page.click("button[value=validate]")
    # The progress bar polls (htmx) until the worker is done, then the page reloads with the report.
    page.wait_for_selector("#report-counts", timeout=90_000)


def test_district_admin_fixes_the_bad_row_and_imports(page, login, district_admin, celery_worker_process, tmp_path):
    celery_worker_process()
    login(district_admin)
    rows = household_rows()
    rows[2][2] = "2.10202199001011E+17"  # what Excel leaves of an ID number typed into a number cell
    bad = tmp_path / "家庭成员.xlsx"
    bad.write_bytes(xlsx_bytes(rows, title="中山区 家庭成员"))
    upload_and_check(page, bad)
    assert page.inner_text("[data-count=rejected]") == "1"
    errors = page.inner_text("#row-errors")
    assert errors.splitlines()[1].startswith("5\t") and "身份证号" in errors and "存为数字" in errors

    fixed = tmp_path / "家庭成员-已改.xlsx"
    fixed.write_bytes(xlsx_bytes(household_rows(), title="中山区 家庭成员"))
    upload_and_check(page, fixed)
    assert page.inner_text("[data-count=rejected]") == "0"
    assert page.inner_text("[data-count=new]") == "5"
    page.click("button[value=commit]")
    page.wait_for_selector(".alert-success", timeout=90_000)
    assert "已于" in page.inner_text(".alert-success")
    assert Person.objects.count() == 5 and HouseholdMember.objects.count() == 5
