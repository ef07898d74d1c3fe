"""Playwright journey in the system Chromium: a district admin records an inspection with two hazards, the facility's
operator rectifies one, the overdue list shows the other, and the rating application is refused while a major
hazard is open."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from eldercare.models import FacilityOperator, Hazard, RatingApplication
from tests.conftest import TEST_PASSWORD, _make_user
from tests.eldercare.factories import make_facility

pytestmark = [pytest.mark.browser]


def test_inspection_rectification_overdue_and_refused_rating(page, login, district_admin, browser, live_server):
    facility = make_facility("210202001001", name="海军广场颐养中心")
    operator = _make_user("op_journey", "facility_operator", "210202001001")
    FacilityOperator.objects.create(user=operator, facility=facility)
    inspected = timezone.localdate() - dt.timedelta(days=30)

    login(district_admin)
    page.goto(f"/eldercare/facilities/{facility.pk}/")
    form = page.locator("#inspection-form")
    form.locator("[name=kind]").select_option("fire")
    form.locator("[name=inspected_on]").fill(inspected.isoformat())
    form.locator("[name=inspectors]").fill("区民政局 王刚、李静")
    form.locator("[name=hazard_1]").fill("疏散通道堆放杂物")
    form.locator("[name=days_1]").fill("3")
    form.locator("[name=hazard_2]").fill("自动喷水灭火系统损坏")
    form.locator("[name=severity_2]").select_option("major")
    form.locator("[name=situation_2]").select_option("f03")
    form.locator("[name=days_2]").fill("5")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("text=检查已登记")
    assert page.locator("#facility-hazards tbody tr").count() == 2
    assert "重大事故隐患" in page.inner_text("#facility-hazards")

    # the facility's operator, in its own browser session, rectifies the first hazard
    other = browser.new_context(locale="zh-CN", base_url=live_server.url).new_page()
    other.goto("/accounts/login/")
    other.fill("#id_username", operator.username)
    other.fill("#id_password", TEST_PASSWORD)
    other.click("button[type=submit]")
    other.wait_for_url("**/eldercare/")
    other.goto(f"/eldercare/facilities/{facility.pk}/")
    row = other.locator("#facility-hazards tr", has_text="疏散通道堆放杂物")
    row.locator("input[name=note]").fill("已清理通道，张贴禁止堆放标识")
    row.locator("button[type=submit]").click()
    other.wait_for_selector("text=已保存")
    assert Hazard.objects.get(description="疏散通道堆放杂物").status == "rectified"
    other.context.close()

    # the overdue list shows the other hazard only
    page.goto("/eldercare/hazards/?overdue=on")
    table = page.inner_text("#hazard-table")
    assert "自动喷水灭火系统损坏" in table and "疏散通道堆放杂物" not in table

    # the rating application is refused while the major hazard is open
    page.goto(f"/eldercare/facilities/{facility.pk}/")
    page.locator("#rating-form [name=grade]").select_option("3")
    page.locator("#rating-form button[type=submit]").click()
    page.wait_for_selector("#rating-form .alert-danger")
    assert "重大事故隐患" in page.inner_text("#rating-form")
    assert not RatingApplication.objects.exists()
