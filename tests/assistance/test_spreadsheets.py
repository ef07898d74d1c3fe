"""The "existing cases" import kind through the spreadsheet engine, and the case/application list exports."""

from __future__ import annotations

import datetime as dt
import io
import os
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from assistance.models import Case, CaseAmountChange, TimelineEvent
from dalian_minzheng.people.idnumbers import make
from tests.assistance.factories import ensure_programmes, make_case
from tests.conftest import TEST_PASSWORD

HEADER = [
    "姓名", "身份证号", "区划代码", "救助类别", "家庭人口", "月保障金额", "家庭月人均收入", "护理等级",
    "开始发放月份", "银行账号",
]  # fmt: skip
COMMUNITY = "210202001001"


def pid(seq: int, year: int = 1961) -> str:
    return make("210202", dt.date(year, 4, 9), seq)


def xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def run_import(settings, tmp_path):
    from dalian_minzheng.spreadsheets import engine
    from dalian_minzheng.spreadsheets.models import ImportJob, ImportStatus

    settings.MEDIA_ROOT = str(tmp_path / "media")

    def run(user, content: bytes, commit: bool = True):
        job = ImportJob(
            kind="assistance.cases", original_name="cases.xlsx", uploaded_by=user, division_id=user.division_id
        )
        job.file.save(os.path.basename("cases.xlsx"), ContentFile(content), save=False)
        job.save()
        job = engine.validate_job(job.pk)
        if commit and job.status == ImportStatus.VALIDATED:
            ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)
            job = engine.commit_job(job.pk)
        return job

    return run


ROWS = [
    ["周淑芬", pid(11), COMMUNITY, "城市低保", 2, 1100, 250, None, "2024-03-01", "6217000000000001"],
    ["吴德明", pid(21), COMMUNITY, "城市特困", 1, 1640, 0, "半护理", "2023-07-15", None],
    ["郑桂英", pid(31), COMMUNITY, "困难残疾人生活补贴", 1, 100, None, None, "2025-01-01", None],
]


def test_existing_cases_import_creates_receiving_cases_and_reimport_changes_nothing(
    divisions, district_admin, run_import
):
    ensure_programmes()
    job = run_import(district_admin, xlsx(ROWS))
    assert job.status == "committed", (job.status, list(job.errors.values_list("reason", flat=True)))
    assert (job.new_count, job.updated_count, job.unchanged_count, job.rejected_count) == (3, 0, 0, 0)
    cases = Case.objects.filter(application__applicant__id_number__in=[r[1] for r in ROWS])
    assert cases.count() == 3
    allowance = cases.get(programme__code="urban_allowance")
    assert allowance.monthly_amount == Decimal("1100.00") and allowance.household_size == 2
    assert allowance.first_payment_month == dt.date(2024, 3, 1) and allowance.status == "active"
    assert allowance.application.status == "approved" and allowance.application.check_status == "clear"
    assert cases.get(programme__code="urban_hardship").care_level == "half_care"
    assert CaseAmountChange.objects.filter(case__in=cases, reason="approval").count() == 3
    assert TimelineEvent.objects.filter(case__in=cases, kind="approved").count() == 3

    again = run_import(district_admin, xlsx(ROWS))
    assert (again.new_count, again.updated_count, again.unchanged_count) == (0, 0, 3)
    assert Case.objects.filter(application__applicant__id_number__in=[r[1] for r in ROWS]).count() == 3

    changed = [list(r) for r in ROWS]
    changed[0][5] = 1150
    third = run_import(district_admin, xlsx(changed))
    assert (third.new_count, third.updated_count, third.unchanged_count) == (0, 1, 2)
    allowance.refresh_from_db()
    assert allowance.monthly_amount == Decimal("1150.00")
    assert CaseAmountChange.objects.filter(case=allowance, reason="correction", old_amount=Decimal("1100.00")).exists()


def test_existing_cases_import_rejects_bad_rows_with_reasons(divisions, district_admin, run_import):
    ensure_programmes()
    rows = [
        ["周淑芬", pid(41), COMMUNITY, "城市低保", "两", 1100, 250, None, "2024-03-01", None],
        ["吴德明", pid(51), COMMUNITY, "城市特困", 1, 1640, 0, None, "2023-07-15", None],
        ["王大力", pid(61), "210203001001", "城市低保", 1, 500, 0, None, "2023-07-15", None],
        ["王大力", pid(71), COMMUNITY, "城市低保", 1, 500, 0, None, "2023-07-15", None],
        ["王大力", pid(71), COMMUNITY, "城市低保", 1, 500, 0, None, "2023-07-15", None],
    ]
    job = run_import(district_admin, xlsx(rows), commit=False)
    rejected = {r.row_number for r in job.errors.all()}
    assert len(rejected) == 4, list(job.errors.values_list("row_number", "reason"))


def test_case_export_through_the_engine_is_masked_and_filtered(client, divisions, district_admin):
    case = make_case(COMMUNITY)
    make_case("210202005001")
    client.login(username=district_admin.username, password=TEST_PASSWORD)
    response = client.get(
        reverse("spreadsheets:export"), {"kind": "assistance.cases", "format": "csv", "division": "210202001"}
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig") if response.streaming else response.content.decode()
    number = case.application.applicant.id_number
    assert number not in body and f"{number[:4]}" in body
    assert body.count("\n") == 2  # header + the one case in that street
    listing = client.get(reverse("assistance:case_list")).content.decode()
    assert "kind=assistance.cases" in listing
