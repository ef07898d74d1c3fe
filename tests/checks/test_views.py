"""The check pages: scoping (404 for another district), who is missing, resolving findings, catalogue editing by the
city admin only, the report and its export, department tokens."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assistance.checks import services
from assistance.checks.models import Authorisation, CheckRun, DataItem, DepartmentToken, Finding, FindingAction
from assistance.models import Application
from dalian_minzheng.audit.models import AccessEvent
from tests.checks.factories import authorise, deliver, make_application, member_numbers
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def checked_application(division="210202001001"):
    application = make_application(division, size=2)
    authorise(application)
    head = member_numbers(application)[0]
    deliver("public_security", [{"id_number": head, "item": "vehicle", "value": 1}])
    deliver("market_regulation", [{"id_number": head, "item": "company_registration", "value": 1}])
    run = CheckRun.objects.create(kind="application", division_id=division, total=1, chunk_size=1)
    from assistance.checks.models import CheckRunSubject

    CheckRunSubject.objects.create(run=run, application=application)
    services.run_execute(run_id=run.pk)
    return application


def test_application_page_names_missing_members_and_blocks_the_run(client, catalogue, caseworker):
    application = make_application("210202001001", size=2)
    head, spouse = application.household.members.order_by("id").select_related("person")
    authorise(application, except_person_ids=(spouse.person_id,))
    login(client, caseworker)
    page = client.get(reverse("checks:application", args=[application.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="missing-authorisations"' in html and spouse.person.name in html
    assert spouse.person.id_number not in html  # masked
    response = client.post(reverse("checks:application_run", args=[application.pk]), follow=True)
    assert not CheckRun.objects.exists()
    assert spouse.person.name in response.content.decode()


def test_recording_the_missing_authorisation_then_running(
    client, catalogue, caseworker, django_capture_on_commit_callbacks
):
    application = make_application("210202001001", size=2)
    head, spouse = application.household.members.order_by("id")
    authorise(application, except_person_ids=(spouse.person_id,))
    login(client, caseworker)
    url = reverse("checks:application", args=[application.pk])
    # without a scan: an error in Chinese, the input kept
    response = client.post(url, {"person": spouse.person_id, "signed_on": "2026-11-20"})
    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode() or "必填" in response.content.decode()
    assert 'value="2026-11-20"' in response.content.decode()
    response = client.post(
        url,
        {
            "person": spouse.person_id,
            "signed_on": "2026-11-20",
            "scan": SimpleUploadedFile("sign.pdf", b"%PDF-1.4 scan", content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    recorded = Authorisation.objects.get(person_id=spouse.person_id)
    assert recorded.recorded_by == caseworker and recorded.signed_on == dt.date(2026, 11, 20)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("checks:application_run", args=[application.pk]))
    run = CheckRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("checks:run", args=[run.pk])
    assert Application.objects.get(pk=application.pk).check_status == "pending"
    progress = client.get(reverse("checks:run", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert b'id="run-progress"' in progress.content and b"progress-bar" in progress.content


def test_other_district_gets_404(client, catalogue, caseworker_other_district):
    application = checked_application()
    finding = Finding.objects.filter(application=application).first()
    authorisation = Authorisation.objects.filter(household_id=application.household_id).first()
    login(client, caseworker_other_district)
    for url in (
        reverse("checks:application", args=[application.pk]),
        reverse("checks:finding", args=[finding.pk]),
        reverse("checks:authorisation_scan", args=[authorisation.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("checks:application_run", args=[application.pk])).status_code == 404


def test_resolving_every_finding_opens_the_gate(client, catalogue, caseworker):
    application = checked_application()
    assert Application.objects.get(pk=application.pk).check_status == "findings_open"
    login(client, caseworker)
    vehicle, company = Finding.objects.filter(application=application).order_by("item__sort_order")
    response = client.post(reverse("checks:finding", args=[vehicle.pk]), {"kind": "explain", "note": "车辆已报废"})
    assert response.status_code == 302
    assert Application.objects.get(pk=application.pk).check_status == "findings_open"
    # a dispute without evidence is refused with the reason, nothing changes
    response = client.post(reverse("checks:finding", args=[company.pk]), {"kind": "dispute", "note": "非本人"})
    assert response.status_code == 200 and Finding.objects.get(pk=company.pk).resolution == "open"
    response = client.post(reverse("checks:finding", args=[company.pk]), {"kind": "confirm", "note": "属实"})
    assert response.status_code == 302
    assert Application.objects.get(pk=application.pk).check_status == "clear"
    assert FindingAction.objects.filter(finding__application=application).count() == 2


def test_auditor_reads_but_cannot_resolve(client, catalogue, auditor):
    application = checked_application()
    finding = Finding.objects.filter(application=application).first()
    login(client, auditor)
    assert client.get(reverse("checks:finding", args=[finding.pk])).status_code == 200
    assert (
        client.post(reverse("checks:finding", args=[finding.pk]), {"kind": "confirm", "note": "x"}).status_code == 403
    )
    assert Finding.objects.get(pk=finding.pk).resolution == "open"


def test_catalogue_read_by_all_edited_by_city_admin(client, catalogue, caseworker, city_admin):
    item = DataItem.objects.get(code="deposits")
    login(client, caseworker)
    page = client.get(reverse("checks:catalogue"))
    assert page.status_code == 200 and "银行存款" in page.content.decode()
    assert client.post(reverse("checks:item_edit", args=[item.pk]), {"name": "x"}).status_code == 403
    client.logout()
    login(client, city_admin)
    data = {
        "name": "银行存款",
        "unit": "元",
        "rule": "household_months",
        "threshold": "800",
        "threshold_months": "36",
        "outcome_on_hit": "noncompliant",
        "exempt_attribute": "",
        "description": "家庭存款超过 36 个月低保标准 × 人数 → 不符合",
        "is_active": "on",
    }
    assert client.post(reverse("checks:item_edit", args=[item.pk]), data).status_code == 302
    assert DataItem.objects.get(pk=item.pk).threshold_months == 36
    # a threshold rule without its threshold is refused, in Chinese
    data.update(rule="above", threshold="")
    response = client.post(reverse("checks:item_edit", args=[item.pk]), data)
    assert response.status_code == 200 and "阈值" in response.content.decode()


def test_report_by_department_and_district_and_export(client, catalogue, district_admin):
    checked_application("210202001001")
    checked_application("210203001001")  # another district: not in 中山区's report
    login(client, district_admin)
    page = client.get(reverse("checks:report"))
    assert page.status_code == 200
    rows = page.context["rows"]
    assert {r["district_code"] for r in rows} == {"210202"}
    assert {(r["department"], r["noncompliant"], r["suspect"]) for r in rows} == {
        ("市公安局", 0, 1),
        ("市市场监督管理局", 1, 0),
    }
    export = client.get(reverse("checks:report_export"))
    assert export.status_code == 200
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert sheet.max_row == 3
    assert AccessEvent.objects.filter(kind="export", user=district_admin, row_count=2).exists()


def test_tokens_page_shows_the_token_once(client, catalogue, city_admin, caseworker):
    login(client, city_admin)
    from assistance.checks.models import Department

    response = client.post(
        reverse("checks:tokens"), {"department": Department.objects.get(code="banks").pk, "name": "工行接口"}
    )
    plain = response.context["plain"]
    assert plain and plain in response.content.decode()
    assert plain not in client.get(reverse("checks:tokens")).content.decode()
    assert DepartmentToken.objects.get().token_hash == services.hash_token(plain)
    client.logout()
    login(client, caseworker)
    assert client.get(reverse("checks:tokens")).status_code == 403
    assert client.get(reverse("checks:deliveries")).status_code == 403
