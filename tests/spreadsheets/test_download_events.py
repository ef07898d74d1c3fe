"""Issue 13, item 5: the raw uploaded file and the error workbook hold full ID numbers, so each download is an
access event (kind download) naming the job, who, and which file."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dalian_minzheng.audit.models import AccessEvent, AccessKind
from dalian_minzheng.spreadsheets import engine
from dalian_minzheng.spreadsheets.models import ImportJob

from .helpers import household_rows, xlsx_bytes

pytestmark = pytest.mark.django_db


def test_downloads_of_the_raw_file_and_the_error_workbook_are_access_events(client, district_admin, auditor, media):
    client.force_login(district_admin)
    rows = household_rows()
    rows[2][2] = "2.10202199001011E+17"  # one rejected row, so there is an error workbook
    upload = SimpleUploadedFile("家庭成员.xlsx", xlsx_bytes(rows))
    client.post(reverse("spreadsheets:import_list"), {"kind": "people.household_members", "file": upload})
    job = ImportJob.objects.get()
    engine.validate_job(job.pk)
    client.logout()

    client.force_login(auditor)
    before = AccessEvent.objects.filter(kind=AccessKind.DOWNLOAD).count()
    raw = client.get(reverse("spreadsheets:import_file", args=[job.pk]))
    assert raw.status_code == 200 and b"".join(raw.streaming_content)[:2] == b"PK"
    errors = client.get(reverse("spreadsheets:import_errors_xlsx", args=[job.pk]))
    assert errors.status_code == 200 and errors.content[:2] == b"PK"
    downloads = AccessEvent.objects.filter(kind=AccessKind.DOWNLOAD).order_by("pk")
    assert downloads.count() == before + 2
    assert [(e.user, e.object_type, e.object_id, e.detail["file"]) for e in downloads] == [
        (auditor, "spreadsheets.ImportJob", str(job.pk), "upload"),
        (auditor, "spreadsheets.ImportJob", str(job.pk), "errors"),
    ]
    assert "no-store" in raw["Cache-Control"] and "no-store" in errors["Cache-Control"]
