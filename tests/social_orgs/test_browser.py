"""Playwright journey in the system Chromium: an annual inspection found 不合格 opens an enforcement case, the
decision orders rectification, the campaign rate shows it outstanding, verification closes it and the rate moves."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from social_orgs.models import EnforcementCase, Listing
from tests.social_orgs.factories import make_inspection

pytestmark = [pytest.mark.browser]


def _step(page, text_after: str, **fields) -> None:
    form = page.locator("#step-form")
    for name, value in fields.items():
        control = form.locator(f"[name={name}]")
        if value is True:
            control.check()
        else:
            control.fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(f"#case-step:has-text('{text_after}')")


def test_failed_inspection_case_rectification_and_campaign_rate(page, login, district_admin):
    inspection = make_inspection("210202001001")
    organisation = inspection.organisation
    login(district_admin)
    page.goto(f"/social-orgs/organisations/{organisation.pk}/")
    form = page.locator("#conclude-form")
    form.locator("[name=conclusion]").select_option("failed")
    form.locator("input[name=grounds][value=outside_scope]").check()
    form.locator("[name=open_case]").check()
    form.locator("[name=category]").select_option("outside_scope")
    form.locator("[name=facts]").fill("超出章程规定的业务范围开展培训收费")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#case-step:has-text('立案')")
    case = EnforcementCase.objects.get(inspection=inspection)
    assert Listing.objects.filter(organisation=organisation, status="proposed").exists()

    _step(page, "调查")
    _step(page, "已告知", statement="对事实无异议")
    due = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    _step(page, "已作出决定", rectification_ordered=True, rectification_due=due, document="大民社责改〔2026〕1号")
    _step(page, "已送达")

    page.goto("/social-orgs/campaign/")
    assert page.inner_text("#rectification-rate").strip() == "0%"

    page.goto(f"/social-orgs/cases/{case.pk}/")
    verify = page.locator("#verify-form")
    verify.locator("[name=rectified]").select_option("yes")
    verify.locator("button[type=submit]").click()
    page.wait_for_selector("#case-rectification:has-text('已整改')")
    _step(page, "已执行")
    _step(page, "已结案")
    page.goto("/social-orgs/campaign/")
    assert page.inner_text("#rectification-rate").strip() == "100%"
    case.refresh_from_db()
    assert case.step == "closed" and case.rectified is True
