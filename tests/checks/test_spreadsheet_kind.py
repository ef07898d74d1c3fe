"""The "department delivery" kind registered with the spreadsheet engine: stored whole, idempotent, superseding,
refused for another department's item or a district admin, nothing stored when any row is wrong."""

from __future__ import annotations

import datetime as dt
import io
import os

import openpyxl
import pytest
from django.core.files.base import ContentFile

from assistance.checks.models import Delivery, DepartmentRecord
from dalian_minzheng.people import idnumbers
from dalian_minzheng.spreadsheets import engine
from dalian_minzheng.spreadsheets.models import ImportJob, ImportRowError, ImportStatus

pytestmark = pytest.mark.django_db

ID1 = idnumbers.make("210202", dt.date(1970, 5, 6), 11)
ID2 = idnumbers.make("210203", dt.date(1982, 1, 2), 24)
HEADER = ["部门代码", "交付批次号", "数据截止日期", "身份证号", "数据项", "值", "属性"]


def xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    for cell in sheet["D"]:
        cell.number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def run(settings, tmp_path, catalogue):
    settings.MEDIA_ROOT = str(tmp_path / "media")

    def do(user, content: bytes):
        job = ImportJob(
            kind="checks.department_delivery", original_name="d.xlsx", uploaded_by=user, division_id=user.division_id
        )
        job.file.save(os.path.basename("d.xlsx"), ContentFile(content), save=False)
        job.save()
        job = engine.validate_job(job.pk)
        if job.status == ImportStatus.VALIDATED:
            ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)
            try:
                job = engine.commit_job(job.pk)
            except ValueError as exc:
                job.refresh_from_db()
                job.error_message = str(exc)
        return job

    return do


ROWS = [
    ["public_security", "GA-X1", "2026-10-31", ID1, "vehicle", 1, '{"disabled_mobility": true}'],
    ["public_security", "GA-X1", "2026-10-31", ID2, "hukou", None, None],
]


def test_delivery_stored_whole_and_idempotent(run, city_admin):
    job = run(city_admin, xlsx(ROWS))
    assert job.status == ImportStatus.COMMITTED, (job.error_message, list(ImportRowError.objects.values()))
    assert (job.new_count, job.unchanged_count) == (2, 0)
    delivery = Delivery.objects.get(delivery_ref="GA-X1")
    assert delivery.record_count == 2 and delivery.current_count == 2 and delivery.source == "file"
    assert DepartmentRecord.objects.get(id_number=ID1).attributes == {"disabled_mobility": True}
    again = run(city_admin, xlsx(ROWS))
    assert again.status == ImportStatus.COMMITTED and (again.new_count, again.unchanged_count) == (0, 2)
    assert DepartmentRecord.objects.count() == 2


def test_newer_file_supersedes(run, city_admin):
    run(city_admin, xlsx(ROWS))
    newer = [["public_security", "GA-X2", "2026-11-20", ID1, "vehicle", 0, None]]
    assert run(city_admin, xlsx(newer)).status == ImportStatus.COMMITTED
    current = DepartmentRecord.objects.get(id_number=ID1, item__code="vehicle", is_current=True)
    assert current.value == 0 and current.delivery.delivery_ref == "GA-X2"
    assert DepartmentRecord.objects.filter(id_number=ID1, item__code="vehicle").count() == 2


def test_another_departments_item_rejects_the_whole_delivery(run, city_admin):
    rows = ROWS + [["public_security", "GA-X1", "2026-10-31", ID1, "deposits", 900000, None]]
    job = run(city_admin, xlsx(rows))
    assert job.status != ImportStatus.COMMITTED or Delivery.objects.count() == 0
    assert Delivery.objects.count() == 0 and DepartmentRecord.objects.count() == 0
    assert ImportRowError.objects.filter(job=job, row_number=4).exists()


def test_district_admin_cannot_import_deliveries(run, district_admin):
    job = run(district_admin, xlsx(ROWS))
    assert Delivery.objects.count() == 0
    assert ImportRowError.objects.filter(job=job).count() == 2


def test_one_pipeline_whatever_the_channel(run, city_admin):
    """A delivery received through the API and the same delivery imported as a file are one delivery: the import
    kind stores through `delivery_receive` (same digest), so the file is recognised, and a file with different
    content under the same delivery id is refused as the API would refuse it (409), storing nothing."""
    from assistance.checks import services
    from assistance.checks.models import Department

    department = Department.objects.get(code="public_security")
    records = services.clean_records(
        department=department,
        rows=[
            {"id_number": ID1, "item": "vehicle", "value": 1, "attributes": {"disabled_mobility": True}},
            {"id_number": ID2, "item": "hukou"},
        ],
    )
    delivery, created = services.delivery_receive(
        department=department, delivery_ref="GA-X1", as_of=dt.date(2026, 10, 31), records=records, source="api"
    )
    assert created
    job = run(city_admin, xlsx(ROWS))
    assert job.status == ImportStatus.COMMITTED, job.error_message
    assert Delivery.objects.count() == 1 and DepartmentRecord.objects.count() == 2

    changed = [list(ROWS[0]), list(ROWS[1])]
    changed[0][5] = 0
    ref_changed = run(city_admin, xlsx([[*changed[0][:1], "GA-X1", *changed[0][2:]], changed[1]]))
    assert ref_changed.status != ImportStatus.COMMITTED
    assert "GA-X1" in ref_changed.error_message
    assert Delivery.objects.count() == 1 and DepartmentRecord.objects.get(id_number=ID1).value == 1
