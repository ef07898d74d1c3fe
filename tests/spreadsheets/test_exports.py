"""Exports: formula neutralisation, masking, the audit record, the background path and its private download."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from dalian_minzheng.audit.models import AccessEvent, AccessKind
from dalian_minzheng.people.models import Person
from dalian_minzheng.spreadsheets import exports
from dalian_minzheng.spreadsheets.models import ExportJob, ExportStatus
from tests.conftest import TEST_PASSWORD

from .helpers import COMMUNITY, HEAD, OTHER_DISTRICT_COMMUNITY, SPOUSE, pid

pytestmark = pytest.mark.django_db
EXPORT = reverse("spreadsheets:export")


def login(client, user):
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def person(id_number, name, division=COMMUNITY, phone=""):
    return Person.objects.create(
        id_number=id_number, name=name, sex="M", birth_date="1960-03-15", division_id=division, phone=phone
    )


@pytest.fixture
def persons(divisions):
    person(HEAD, '=HYPERLINK("http://evil","点我")', phone="+8613800000000")
    person(SPOUSE, "@SUM(1+1)", phone="-1")
    person(pid(1980, 5), "\tTAB")
    person(pid(1981, 7), "西岗人", division=OTHER_DISTRICT_COMMUNITY)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("张三", "张三"),
        ("", ""),
    ],
)
def test_neutralise(value, expected):
    assert exports.neutralise(value) == expected


def test_xlsx_export_neutralises_masks_and_is_audited(client, district_admin, persons):
    login(client, district_admin)
    response = client.get(EXPORT, {"kind": "people.persons", "format": "xlsx", "q": ""})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0][:2] == ("姓名", "身份证号") and len(rows[0]) == 12
    names = {r[0] for r in rows[1:]}
    assert names == {'\'=HYPERLINK("http://evil","点我")', "'@SUM(1+1)", "'\tTAB"}  # 西岗 is outside the scope
    assert all(r[1].startswith("2102") and "*" in r[1] for r in rows[1:])
    assert {r[4] for r in rows[1:]} >= {"'+8613800000000", "'-1"}
    event = AccessEvent.objects.get(kind=AccessKind.EXPORT)
    assert event.user == district_admin and event.row_count == 3
    assert event.detail["export"] == "people.persons" and event.detail["full_ids"] is False


def test_csv_export_has_a_bom_and_honours_the_filter(client, district_admin, persons):
    login(client, district_admin)
    response = client.get(EXPORT, {"kind": "people.persons", "format": "csv", "q": "@SUM"})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert len(rows) == 2 and rows[1][0] == "'@SUM(1+1)"
    assert AccessEvent.objects.get(kind=AccessKind.EXPORT).detail["filters"] == {"q": "@SUM"}


def test_full_id_numbers_only_for_entitled_users_and_recorded(client, caseworker, district_admin, persons):
    login(client, caseworker)
    assert client.get(EXPORT, {"kind": "people.persons", "full_ids": "1"}).status_code == 403
    client.logout()
    login(client, district_admin)
    response = client.get(EXPORT, {"kind": "people.persons", "format": "csv", "full_ids": "1"})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert HEAD in text
    assert AccessEvent.objects.get(kind=AccessKind.EXPORT).detail["full_ids"] is True


def test_auditor_exports_everything_masked(client, auditor, persons):
    login(client, auditor)
    response = client.get(EXPORT, {"kind": "people.persons", "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert "西岗人" in text and HEAD not in text
    assert client.get(EXPORT, {"kind": "people.persons", "full_ids": "1"}).status_code == 403


def test_large_exports_run_as_a_job_only_the_requester_can_download(
    client, district_admin, make_user, persons, settings, media
):
    settings.EXPORT_DIRECT_MAX_ROWS = 2
    login(client, district_admin)
    response = client.get(EXPORT, {"kind": "people.persons", "format": "xlsx"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("spreadsheets:export_jobs") + f"?job={job.token}"
    assert "正在后台生成" in client.get(response.url).content.decode()
    exports.run_export_job(job.pk)  # what the worker runs (see test_worker.py for the real worker)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.row_count == 3
    download = client.get(reverse("spreadsheets:export_download"), {"job": str(job.token)})
    assert download.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active.values)
    assert len(rows) == 4
    assert AccessEvent.objects.get(kind=AccessKind.EXPORT).row_count == 3
    client.logout()
    login(client, make_user("da_zhongshan2", "district_admin", "210202"))
    assert client.get(reverse("spreadsheets:export_download"), {"job": str(job.token)}).status_code == 404
    assert client.get(reverse("spreadsheets:export_jobs"), {"job": str(job.token)}).status_code == 404
    assert str(job.token) not in client.get(reverse("spreadsheets:export_jobs")).content.decode()


def test_unknown_export_kind_is_404(client, district_admin):
    login(client, district_admin)
    assert client.get(EXPORT, {"kind": "nope"}).status_code == 404
    assert client.get(EXPORT).status_code == 302  # no kind: to the list of the user's exports


def test_person_list_has_the_export_button_with_the_current_filter(client, district_admin, persons):
    login(client, district_admin)
    page = client.get(reverse("people:person_list"), {"q": "西岗"}).content.decode()
    assert f"{EXPORT}?kind=people.persons&amp;format=xlsx&amp;q=%E8%A5%BF%E5%B2%97" in page
    assert "full_ids=1" in page  # district admins may ask for full numbers


def test_streaming_xlsx_writer_round_trips_through_openpyxl(tmp_path):
    import datetime as dt

    from dalian_minzheng.spreadsheets.xlsxstream import StreamingXlsx, column_letter

    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
    path = tmp_path / "out.xlsx"
    with StreamingXlsx(path.open("wb"), "人员<&>", ["姓名", "数", "日期", "时间"], [10, 8, 12, 16]) as out:
        out.write_row(["张三 & <李四>", 12.5, dt.date(1990, 1, 1), dt.datetime(2024, 5, 6, 7, 8)])
        out.write_row(["bad\x01char", None, "", "a\rb\tc"])
        for i in range(2000):
            out.write_row([f"行{i}", i, None, None])
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    assert sheet.title == "人员<&>"
    rows = list(sheet.values)
    assert rows[0] == ("姓名", "数", "日期", "时间")
    assert rows[1] == ("张三 & <李四>", 12.5, dt.datetime(1990, 1, 1), dt.datetime(2024, 5, 6, 7, 8))
    assert rows[2] == ("badchar", None, None, "a\rb\tc")
    assert len(rows) == 2003 and rows[-1] == ("行1999", 1999, None, None)
    assert sheet["C2"].number_format == "yyyy\\-mm\\-dd"
