"""Browser journey (system Chromium): a city admin creates a raise, previews it, approves it and applies it now;
a real worker applies it while the page shows the progress bar; then the report and the notice."""

from __future__ import annotations

import pytest

from assistance.models import CaseAmountChange
from assistance.raises.models import Raise, RaiseStatus
from tests.raises import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_city_admin_raises_the_allowance_end_to_end(page, login, city_admin, celery_worker_process, divisions):
    progs = f.standards()
    f.mixed_cases()
    f.tolerate_outliers()
    celery_worker_process()
    login(city_admin)
    page.goto("/assistance/raises/")
    page.wait_for_selector("#standards-chart[data-ready='1']")
    page.click("main a[href$='/new/']")
    page.fill("#id_title", "浏览器测试提标")
    page.check(f"input[name=programmes][value='{progs['raise_urban_allowance'].pk}']")
    page.check("input[name=method][value=increase_percent]")
    page.fill("#id_value", "6")
    page.select_option("#id_rounding", "up_yuan")
    page.fill("#id_effective_from", f.month_start(0).isoformat())
    page.click("main button[type=submit]")  # (the navbar's log-out button is a submit button too)
    page.wait_for_load_state("networkidle")
    errors = page.locator(".invalid-feedback, .alert-danger").all_inner_texts()
    assert not errors, errors
    assert "/assistance/raises/" in page.url and page.url.rstrip("/").split("/")[-1].isdigit(), (
        page.url,
        page.inner_text("main")[:500],
    )
    page.wait_for_selector("#approve-button")
    raise_record = Raise.objects.get(title="浏览器测试提标")
    assert "城市特困" in page.inner_text("#planned-standards")  # the linked hardship standard follows

    page.click("main a[href$='/preview/']")
    page.wait_for_selector("#preview-table")
    assert int(page.inner_text("#preview-changed").replace(",", "")) > 0
    page.go_back()
    page.click("#approve-button")
    page.wait_for_selector("#apply-button")
    page.click("#apply-button")
    page.wait_for_selector("#apply-progress .progress")
    page.wait_for_selector("[data-applied='1']", timeout=90_000)
    raise_record.refresh_from_db()
    assert raise_record.status == RaiseStatus.APPLIED and raise_record.applied_by == city_admin
    assert CaseAmountChange.objects.filter(source_ref=raise_record.source_ref).count() == raise_record.cases_changed

    page.click("main a[href$='/report/']")
    page.wait_for_selector("#report-table")
    assert page.locator("#report-table tbody tr").count() == 5
    page.go_back()
    page.click("main a[href$='/notice/']")
    assert "大连市民政局" in page.inner_text("#notice-text")
