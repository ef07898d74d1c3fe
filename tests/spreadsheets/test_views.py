"""The import pages through the Django test client: who may do what, previews, reports and downloads."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dalian_minzheng.spreadsheets import engine
from dalian_minzheng.spreadsheets.models import ImportJob, ImportStatus
from tests.conftest import TEST_PASSWORD

from .helpers import HEADER, household_rows, xlsx_bytes

pytestmark = pytest.mark.django_db
LIST = reverse("spreadsheets:import_list")


def login(client, user):
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def upload(client, content: bytes, name: str = "家庭成员.xlsx", kind: str = "people.household_members"):
    return client.post(LIST, {"kind": kind, "file": SimpleUploadedFile(name, content)})


def test_upload_shows_the_preview_and_how_columns_were_matched(client, district_admin, media):
    login(client, district_admin)
    response = upload(client, xlsx_bytes(household_rows(), title="家庭成员名单"))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("spreadsheets:import_detail", args=[job.pk])
    page = client.get(response.url).content.decode()
    assert job.status == ImportStatus.UPLOADED and job.report["header_row"] == 2
    assert "列的对应关系" in page and "与户主关系" in page and "王建国" in page and "校验全部数据" in page
    assert job.file.size > 0 and job.original_name == "家庭成员.xlsx"  # the upload is kept with the job


def test_missing_required_column_is_named_on_the_page(client, district_admin, media):
    login(client, district_admin)
    response = upload(client, xlsx_bytes([["x", "王建国"]], header=["户主身份证号", "姓名"]))
    page = client.get(response.url).content.decode()
    assert "缺少必填列" in page and "身份证号" in page and "与户主关系" in page and "区划代码" in page


def test_unreadable_file_message_on_the_page(client, district_admin, media):
    login(client, district_admin)
    response = upload(client, b"PK\x03\x04garbage", name="坏文件.xlsx")
    assert "文件已损坏" in client.get(response.url).content.decode()


def test_validate_queues_the_worker_and_the_report_lists_every_rejected_row(client, district_admin, media):
    login(client, district_admin)
    rows = household_rows()
    rows[2][2] = "2.10202199001011E+17"
    job = ImportJob.objects.get(pk=int(upload(client, xlsx_bytes(rows)).url.rstrip("/").split("/")[-1]))
    client.post(reverse("spreadsheets:import_detail", args=[job.pk]), {"action": "validate"})
    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATING
    progress = client.get(reverse("spreadsheets:import_progress", args=[job.pk]))
    assert progress.status_code == 200 and "progress-bar" in progress.content.decode()
    assert "HX-Refresh" not in progress
    engine.validate_job(job.pk)  # what the worker does (the worker itself is exercised in test_worker.py)
    assert client.get(reverse("spreadsheets:import_progress", args=[job.pk]))["HX-Refresh"] == "true"
    page = client.get(reverse("spreadsheets:import_detail", args=[job.pk])).content.decode()
    assert "存为数字" in page and 'data-count="rejected">1<' in page and 'data-count="new">4<' in page
    assert "确认导入 4 条有效数据" in page
    # The rejected rows as Excel: the original values and the reason.
    response = client.get(reverse("spreadsheets:import_errors_xlsx", args=[job.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][: len(HEADER)] == tuple(HEADER) and values[0][-1] == "错误原因"
    assert values[1][2] == "2.10202199001011E+17" and values[1][-2] == 4 and "文本" in values[1][-1]
    # Confirm → the commit is queued.
    client.post(reverse("spreadsheets:import_detail", args=[job.pk]), {"action": "commit"})
    job.refresh_from_db()
    assert job.status == ImportStatus.COMMITTING


def test_template_has_chinese_headers_text_id_column_and_drop_downs(client, district_admin):
    login(client, district_admin)
    response = client.get(reverse("spreadsheets:import_template", args=["people.household_members"]))
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[:4] == ["户主身份证号 *", "姓名 *", "身份证号 *", "与户主关系 *"]
    assert sheet.column_dimensions["C"].number_format == "@" or sheet["C2"].number_format == "@"
    lists = [dv for dv in sheet.data_validations.dataValidation if dv.type == "list"]
    sources = " ".join(dv.formula1 for dv in lists)
    assert "户主" in sources and "配偶" in sources and "城镇" in sources
    assert workbook.sheetnames[1] == "填写说明"


def test_who_may_use_the_import_pages(client, caseworker, auditor, district_admin, make_user, media):
    login(client, district_admin)
    job = ImportJob.objects.get(pk=int(upload(client, xlsx_bytes(household_rows())).url.rstrip("/").split("/")[-1]))
    detail = reverse("spreadsheets:import_detail", args=[job.pk])
    client.logout()
    login(client, caseworker)
    assert client.get(LIST).status_code == 403
    client.logout()
    login(client, auditor)
    assert client.get(LIST).status_code == 200 and client.get(detail).status_code == 200
    assert "上传表格" not in client.get(LIST).content.decode()
    assert client.post(detail, {"action": "validate"}).status_code == 403
    assert upload(client, xlsx_bytes(household_rows())).status_code == 403
    client.logout()
    login(client, make_user("da_xigang", "district_admin", "210203"))
    assert client.get(detail).status_code == 404
    assert client.get(reverse("spreadsheets:import_errors_xlsx", args=[job.pk])).status_code == 404
    assert job.pk not in [j.pk for j in client.get(LIST).context["jobs"]]


def test_anonymous_is_sent_to_login(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_check_whose_worker_stopped_offers_to_check_again(client, district_admin, media):
    from django.core.cache import cache

    login(client, district_admin)
    job = ImportJob.objects.get(pk=int(upload(client, xlsx_bytes(household_rows())).url.rstrip("/").split("/")[-1]))
    client.post(reverse("spreadsheets:import_detail", args=[job.pk]), {"action": "validate"})
    progress = reverse("spreadsheets:import_progress", args=[job.pk])
    assert "重新校验" not in client.get(progress).content.decode()  # just queued: no retry yet
    cache.delete(engine.progress_key(job.pk))  # the worker died long ago: nothing heard since
    assert "重新校验" in client.get(progress).content.decode()
    client.post(reverse("spreadsheets:import_detail", args=[job.pk]), {"action": "validate"})
    engine.validate_job(job.pk)  # what the re-queued task does
    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATED and job.new_count == 5
