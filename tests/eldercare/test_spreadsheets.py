"""The eldercare import kinds through the real engine: the facility register (wrong codes, negative beds, occupied >
beds get Chinese row messages and write nothing wrong; re-import unchanged), monthly occupancy, service records
(re-import updates, never doubles)."""

from __future__ import annotations

import datetime as dt
import io
import os

import openpyxl
import pytest
from django.core.files.base import ContentFile

from dalian_minzheng.spreadsheets import engine
from dalian_minzheng.spreadsheets.models import ImportJob, ImportRowError, ImportStatus
from eldercare.models import Facility, FacilityOccupancy, FacilityTimelineEntry, ServiceRecord
from tests.eldercare.factories import make_facility
from tests.kernel.factories import make_person

pytestmark = pytest.mark.django_db
HEADER = [
    "机构名称",
    "区划代码",
    "设施类型",
    "机构性质",
    "法人类型",
    "运营方",
    "社会力量运营",
    "床位数",
    "入住床位数",
    "备案日期",
]


def xlsx(header, rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def run(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")

    def do(user, kind: str, content: bytes):
        job = ImportJob(kind=kind, original_name="f.xlsx", uploaded_by=user, division_id=user.division_id)
        job.file.save(os.path.basename("f.xlsx"), ContentFile(content), save=False)
        job.save()
        job = engine.validate_job(job.pk)
        if job.status == ImportStatus.VALIDATED:
            ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)
            job = engine.commit_job(job.pk)
        return job

    return do


def errors(job) -> dict[int, str]:
    return {e.row_number: e.reason for e in ImportRowError.objects.filter(job=job)}


def test_facility_register_rejects_bad_rows_in_chinese_and_imports_the_rest(run, district_admin):
    rows = [
        ["福寿养老院", "210202001001", "养老机构", "民办", "民办非企业单位", "福寿公司", "是", 120, 80, "2020-01-10"],
        ["颐康中心", "210202001001", "居家和社区养老服务中心", None, "民办非企业单位", None, "否", 20, None, None],
        ["错误区划", "999999001001", "养老机构", "民办", "企业", None, None, 10, 5, None],
        ["负床位", "210202001001", "养老机构", "民办", "企业", None, None, -5, 0, None],
        ["超员", "210202001001", "养老机构", "民办", "企业", None, None, 10, 12, None],
        ["西岗的", "210203001001", "养老机构", "民办", "企业", None, None, 10, 1, None],
    ]
    job = run(district_admin, "eldercare.facilities", xlsx(HEADER, rows))
    assert job.status == ImportStatus.COMMITTED, job.error_message
    reasons = errors(job)
    assert reasons[4] == "区划代码不存在。"
    assert reasons[5] == "数字不能为负数。"
    assert reasons[6] == "入住床位数不能超过床位数。"
    assert "辖区" in reasons[7] or "范围" in reasons[7]
    assert set(Facility.objects.values_list("name", flat=True)) == {"福寿养老院", "颐康中心"}
    fushou = Facility.objects.get(name="福寿养老院")
    assert (fushou.beds, fushou.occupied_beds, fushou.social_forces, fushou.institution_type) == (
        120,
        80,
        True,
        "private",
    )
    assert FacilityTimelineEntry.objects.filter(facility=fushou, kind="registered").count() == 1

    again = run(district_admin, "eldercare.facilities", xlsx(HEADER, rows[:2]))
    assert (again.new_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    changed = [list(rows[0]), list(rows[1])]
    changed[0][8] = None  # an empty cell keeps what is recorded
    changed[1][7] = 25
    third = run(district_admin, "eldercare.facilities", xlsx(HEADER, changed))
    assert (third.new_count, third.updated_count, third.unchanged_count) == (0, 1, 1)
    assert Facility.objects.get(name="福寿养老院").occupied_beds == 80
    assert Facility.objects.get(name="颐康中心").beds == 25


def test_occupancy_by_month_sets_the_latest(run, district_admin):
    facility = make_facility("210202001001", name="福寿养老院", beds=100)
    header = ["机构名称", "区划代码", "月份", "入住床位数"]
    rows = [
        ["福寿养老院", "210202001001", "2026-09-01", 60],
        ["福寿养老院", "210202001001", "2026-10-01", 70],
        ["福寿养老院", "210202001001", "2026-11-01", 130],
        ["没有的", "210202001001", "2026-10-01", 1],
    ]
    job = run(district_admin, "eldercare.occupancy", xlsx(header, rows))
    reasons = errors(job)
    assert reasons[4] == "入住床位数不能超过床位数。" and "先导入" in reasons[5]
    assert FacilityOccupancy.objects.filter(facility=facility).count() == 2
    facility.refresh_from_db()
    assert facility.occupied_beds == 70


def test_service_records_reimport_updates_never_doubles(run, district_admin):
    facility = make_facility("210202001001", name="颐康中心", kind="centre")
    person = make_person("210202001001", "周大爷")
    header = ["机构名称", "区划代码", "服务日期", "服务项目", "数量", "服务时长", "身份证号"]
    rows = [
        ["颐康中心", "210202001001", "2026-11-02", "就餐", 1, None, person.id_number],
        ["颐康中心", "210202001001", "2026-11-02", "就餐", 25, None, None],
        ["颐康中心", "210202001001", "2026-11-02", "日间照料", 1, 4, person.id_number],
        ["颐康中心", "210202001001", "2026-11-03", "就餐", 1, None, "210202194001010010"],
    ]
    job = run(district_admin, "eldercare.services", xlsx(header, rows))
    assert job.status == ImportStatus.COMMITTED
    assert 5 in errors(job)  # a person nobody registered (or a bad checksum)
    assert ServiceRecord.objects.filter(facility=facility).count() == 3
    rows[1][4] = 27
    again = run(district_admin, "eldercare.services", xlsx(header, rows[:3]))
    assert (again.new_count, again.updated_count, again.unchanged_count) == (0, 1, 2)
    assert ServiceRecord.objects.filter(facility=facility).count() == 3
    assert ServiceRecord.objects.get(facility=facility, person=None).quantity == 27
    assert ServiceRecord.objects.get(kind="day_care").hours == 4
    assert dt.date(2026, 11, 2) == ServiceRecord.objects.get(kind="day_care").served_on
