"""Playwright journey in the system Chromium, with a real worker: a caseworker sees who has not signed, records the
missing authorisation, runs the check, watches the progress bar, and resolves the finding, which opens the gate."""

from __future__ import annotations

import pytest

from assistance.models import Application
from tests.checks.factories import authorise, deliver, make_application, member_numbers

pytestmark = [pytest.mark.browser, pytest.mark.worker]


def test_caseworker_check_journey(page, login, caseworker, catalogue, celery_worker_process, tmp_path):
    application = make_application("210202001001", size=2)
    head_member, spouse_member = application.household.members.order_by("id").select_related("person")
    authorise(application, except_person_ids=(spouse_member.person_id,))
    head = member_numbers(application)[0]
    deliver("public_security", [{"id_number": head, "item": "vehicle", "value": 1}])
    celery_worker_process()
    login(caseworker)

    page.goto(f"/assistance/checks/application/{application.pk}/")
    warning = page.inner_text("#missing-authorisations")
    assert spouse_member.person.name in warning and "授权书" in warning
    assert page.is_disabled("form[action$='/run/'] button")

    scan = tmp_path / "授权书.pdf"
    scan.write_bytes(b"%PDF-1.4 signed authorisation")
    page.select_option("#id_person", str(spouse_member.person_id))
    page.fill("#id_signed_on", "2026-11-20")
    page.set_input_files("#id_scan", str(scan))
    page.click("#authorisation-form button[type=submit]")
    page.wait_for_selector("text=授权书已登记")
    assert page.locator("#missing-authorisations").count() == 0

    page.click("form[action$='/run/'] button")
    # the progress bar polls (htmx) until the worker has finished the run
    page.wait_for_selector("#run-status[data-status=done]", timeout=90_000)
    assert "100%" in page.inner_text("#run-progress")

    page.goto(f"/assistance/checks/application/{application.pk}/")
    assert page.get_attribute("#check-status", "data-status") == "findings_open"
    finding = page.locator(".finding[data-item=vehicle]")
    assert "疑点需复核" in finding.inner_text() and "市公安局" in finding.inner_text()
    finding.locator("a").click()
    page.check("input[name=kind][value=explain]")
    page.fill("#id_note", "车辆已于 2025 年报废，提供报废证明")
    page.click("#resolve-form button[type=submit]")
    page.wait_for_selector("#check-status[data-status=clear]")
    assert Application.objects.get(pk=application.pk).check_status == "clear"
