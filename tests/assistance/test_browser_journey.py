"""Playwright journey in the system Chromium: a caseworker registers an application and records the visit, the
district admin approves, and the case appears in next month's roster (built by a real worker) and on the
community's public notice page."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from assistance import services
from assistance.models import Application, Case, CheckStatus, Payment, PaymentRoster, PublicNotice
from tests.assistance.factories import ensure_programmes, make_id_number

COMMUNITY = "210202001001"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_caseworker_to_district_admin_to_roster(page, login, caseworker, district_admin, celery_worker_process):
    ensure_programmes()
    celery_worker_process()
    head_id = make_id_number("210202")

    # 1. The caseworker accepts the application (one notice lists what is missing)
    login(caseworker)
    page.goto(reverse("assistance:application_create"))
    page.select_option("#id_division", COMMUNITY)
    page.select_option("#id_programme", label="城市低保")
    page.fill("#id_id_number", head_id)
    page.fill("#id_name", "孙丽娟")
    page.fill("#id_phone", "13900000000")
    page.fill("#id_members", f"{make_id_number('210202', male=False)} 孙小雨 子女")
    page.check("input[name=documents][value=申请书]")
    page.check("input[name=documents][value=户口簿]")
    page.check("input[name=documents][value=身份证]")
    page.click("#accept-application")
    page.wait_for_load_state("networkidle")
    assert re.search(r"/assistance/applications/\d+/$", page.url), page.inner_text("main")
    assert "家庭经济状况核对授权书" in page.content()
    application = Application.objects.get(applicant__id_number=head_id)

    # 2. Home visit with two staff, income by member
    page.click("#record-visit")
    page.fill("#id_staff_names", "王晓红、刘洋")
    page.select_option("#id_income-0-category", "wages")
    page.fill("#id_income-0-monthly_amount", "600")
    page.click("#save-visit")
    page.wait_for_url(f"**/assistance/applications/{application.pk}/")
    assert page.inner_text("#proposed-amount").strip() == "1000.00"  # (800 − 300) × 2

    # 3. First review and the 7-day notice
    page.fill("#id_opinion", "经调查符合城市低保条件")
    page.click("#do-first-review")
    page.click("#start-notice")
    page.wait_for_selector("#submit-district")
    notice = PublicNotice.objects.get(application=application)
    assert notice.public_name == "孙*娟"

    # The community's public notice page (built by the public-pages engineer) shows the masked name only
    try:
        public_url = reverse("public_notice:community", kwargs={"code": COMMUNITY})
    except NoReverseMatch:
        public_url = None
    if public_url:
        page.goto(public_url)
        html = page.content()
        assert "孙*娟" in html
        assert "孙丽娟" not in html and head_id not in html

    # The notice period passes (moved into the past); the cross-department check comes back clear.
    today = timezone.localdate()
    PublicNotice.objects.filter(pk=notice.pk).update(
        starts_on=today - dt.timedelta(days=8), ends_on=today - dt.timedelta(days=2)
    )
    services.application_set_check_status(application_id=application.pk, status=CheckStatus.CLEAR)
    page.goto(reverse("assistance:application_detail", args=[application.pk]))
    page.click("#submit-district")
    page.wait_for_load_state("networkidle")
    application.refresh_from_db()
    assert application.status == "pending_decision"

    # 4. The district admin approves
    page.context.clear_cookies()
    login(district_admin)
    page.goto(reverse("assistance:application_detail", args=[application.pk]))
    page.fill("#id_bank_account", "6217000011112222")
    page.click("#approve")
    page.wait_for_url("**/assistance/cases/*/")
    case = Case.objects.get(application=application)
    assert page.inner_text("#case-amount").strip() == "1000.00"
    assert page.locator("#timeline li").count() >= 7  # accepted, visit, review, notice, check, submitted, approved

    # 5. Next month's roster, built by the worker from the roster page
    next_month = services.add_months(today.replace(day=1), 1)
    page.goto(reverse("assistance:roster_list"))
    page.fill("#id_month", next_month.isoformat())
    page.select_option("#id_district", "210202")
    page.click("#build-roster")
    deadline = time.monotonic() + 90
    while (
        time.monotonic() < deadline
        and not PaymentRoster.objects.filter(month=next_month, district_id="210202", status="ready").exists()
    ):
        time.sleep(0.5)
    roster = PaymentRoster.objects.get(month=next_month, district_id="210202")
    assert Payment.objects.filter(roster=roster, case=case).exists()
    page.goto(reverse("assistance:roster_detail", args=[roster.pk]))
    assert page.inner_text("#roster-count").strip() == "1"
    assert "孙丽娟" in page.inner_text("#payments")
