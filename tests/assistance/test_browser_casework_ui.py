"""Playwright in the system Chromium, through the pages staff use: the case list's search, filters and paging; a
refusal whose form keeps what was typed when it fails, its written notice on the application page and in the
overdue lists; and the review notice made from the text the city admin edits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from assistance import notifications, services
from assistance.models import Application, NotificationKind, NotificationText
from tests.assistance.factories import make_application, make_case

OWN = "210202001001"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_case_list_search_filters_and_paging_in_the_browser(page, login, district_admin):
    cases = [make_case(OWN) for _ in range(52)]
    stopped = cases[0]
    services.case_stop(case_id=stopped.pk, acting_user=district_admin, reason="迁出本市")
    login(district_admin)
    page.goto(reverse("assistance:case_list"))
    assert "共52条" in page.inner_text("main") and "第1页，共2页" in page.inner_text("main")
    page.click("text=下一页")
    page.wait_for_url("**page=2")
    assert page.locator("tbody tr").count() == 2

    # status filter, kept in the form after the search
    page.goto(reverse("assistance:case_list"))
    page.select_option("#id_status", "stopped")
    page.click("button:has-text('查询')")
    page.wait_for_url("**status=stopped**")
    assert page.locator("tbody tr").count() == 1
    assert page.eval_on_selector("#id_status", "el => el.value") == "stopped"
    page.click("tbody tr a")
    page.wait_for_url(f"**/assistance/cases/{stopped.pk}/")
    timeline = page.inner_text("#timeline")
    assert "停发" in timeline and "迁出本市" in timeline

    # search by the last four characters of the ID number
    applicant = cases[5].application.applicant
    page.goto(reverse("assistance:case_list"))
    page.fill("#id_q", applicant.id_number[-4:])
    page.click("button:has-text('查询')")
    page.wait_for_load_state("networkidle")
    assert applicant.name in page.inner_text("tbody") and applicant.id_number not in page.content()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_refusal_notice_in_the_browser(page, login, district_admin, caseworker):
    notifications.ensure_defaults()
    application = make_application(OWN, status="pending_decision")
    login(district_admin)
    page.goto(reverse("assistance:application_detail", args=[application.pk]))
    page.fill("#id_reasons", "不符")  # too short for the service: the page keeps it and says why, in Chinese
    page.click("button:has-text('说明理由不予批准')")
    page.wait_for_load_state("networkidle")
    assert "请填写不予批准的理由" in page.inner_text("main")
    assert page.input_value("#id_reasons") == "不符"
    page.fill("#id_reasons", "家庭人均收入高于当地低保标准")
    page.click("button:has-text('说明理由不予批准')")
    page.wait_for_selector("#refusal-notice-text")
    assert "不予批准通知书" in page.inner_text("#refusal-notice-text")
    assert "尚未送达" in page.inner_text("#refusal-notice-status")

    # three working days later it has not gone out: the overdue lists show it
    Application.objects.filter(pk=application.pk).update(
        decided_on=timezone.localdate() - dt.timedelta(days=20),
        refusal_notice_due_on=timezone.localdate() - dt.timedelta(days=14),
    )
    page.goto(reverse("assistance:overdue"))
    assert page.locator("#overdue-district td").nth(5).inner_text() == "1"
    page.click(f"#overdue-list a[href='/assistance/applications/{application.pk}/']")
    page.wait_for_selector("#issue-refusal-notice")
    page.click("#issue-refusal-notice")
    page.wait_for_load_state("networkidle")
    assert "送达于" in page.inner_text("#refusal-notice-status") and "逾期" in page.inner_text("#refusal-notice-status")
    assert "送达不予批准通知书" in page.inner_text("#timeline")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_review_notice_uses_the_edited_text_in_the_browser(page, login, caseworker):
    notifications.ensure_defaults()
    NotificationText.objects.filter(kind=NotificationKind.REVIEW_REDUCE).update(
        text="{name}家庭：自{month}起月保障金由{old_amount}元减为{new_amount}元。理由：{reasons}"
    )
    case = make_case(OWN, amount=Decimal("900.00"))
    review = services.case_open_review(case_id=case.pk, reason="收入变化", acting_user=caseworker)
    login(caseworker)
    page.goto(reverse("assistance:review_detail", args=[review.pk]))
    page.select_option("#id_outcome", "reduce")
    page.fill("#id_new_amount", "600")
    page.fill("#id_reason", "子女就业")
    page.click("button:has-text('登记处理结果')")
    page.wait_for_url(f"**/assistance/cases/{case.pk}/")
    assert f"{case.application.applicant.name}家庭：自" in page.inner_text("main")
    assert "由900.00元减为600.00元。理由：子女就业" in page.inner_text("main")
