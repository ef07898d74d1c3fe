"""The raise pages: who may do what, the form keeps input and shows Chinese errors, preview / report / notice /
exports render, the district admin sees only their district."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from assistance.raises import services
from assistance.raises.models import Raise, RaiseStatus
from dalian_minzheng.audit.models import AccessEvent
from tests.conftest import TEST_PASSWORD
from tests.raises import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(divisions):
    progs = f.standards()
    f.mixed_cases()
    f.tolerate_outliers()
    return progs


def _client(client, user):
    client.login(username=user.username, password=TEST_PASSWORD)
    return client


def _create(user, progs, on):
    return services.raise_create(
        acting_user=user,
        title="2026年城乡低保提标",
        programmes=[progs["raise_urban_allowance"], progs["raise_rural_allowance"]],
        method="increase_percent",
        value=Decimal("8"),
        rounding="up_yuan",
        effective_from=on,
    )


def test_create_form_keeps_input_and_shows_chinese_errors(client, city_admin, data):
    c = _client(client, city_admin)
    url = reverse("raises:create")
    assert c.get(url).status_code == 200
    response = c.post(url, {"title": "提标草稿", "method": "increase_percent", "value": "8", "rounding": "up_yuan",
                            "effective_from": "2026-12-15"})  # fmt: skip
    assert response.status_code == 200
    body = response.content.decode()
    assert "提标草稿" in body  # kept
    assert "请至少选择一个项目" in body or "至少选择一个" in body
    assert "每月1日" in body or "每月第一天" in body
    programme = data["raise_urban_allowance"]
    response = c.post(url, {"title": "2027年提标", "programmes": [programme.pk], "components": ["basic"],
                            "method": "increase_amount", "value": "60", "rounding": "fen",
                            "effective_from": f.month_start(0).isoformat()})  # fmt: skip
    raise_record = Raise.objects.get(title="2027年提标")
    assert response.status_code == 302 and response["Location"] == reverse("raises:detail", args=[raise_record.pk])
    assert raise_record.created_by == city_admin and raise_record.status == RaiseStatus.DRAFT


def test_city_admin_journey_preview_approve_apply_report(client, city_admin, data, django_capture_on_commit_callbacks):
    raise_record = _create(city_admin, data, f.month_start(0))
    c = _client(client, city_admin)
    detail = c.get(reverse("raises:detail", args=[raise_record.pk]))
    assert detail.status_code == 200 and "城市特困" in detail.content.decode()  # the linked standard is listed
    preview = c.get(reverse("raises:preview", args=[raise_record.pk]))
    assert preview.status_code == 200 and "preview-table" in preview.content.decode()
    export = c.get(reverse("raises:preview_export", args=[raise_record.pk]))
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    assert book.sheetnames[0] and book.worksheets[0].max_row > 5
    assert AccessEvent.objects.filter(kind="export", user=city_admin).exists()
    assert c.post(reverse("raises:approve", args=[raise_record.pk])).status_code == 302
    raise_record.refresh_from_db()
    assert raise_record.status == RaiseStatus.APPROVED and raise_record.approved_by == city_admin
    # the task is queued on commit; run the service as the worker would (the worker tests cover the real one)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert c.post(reverse("raises:apply", args=[raise_record.pk])).status_code == 302
    assert len(callbacks) == 1
    assert services.get_progress(raise_record.pk)["stage"] == "queued"
    services.raise_apply(raise_id=raise_record.pk, acting_user=city_admin, today=f.month_start(0))
    progress = c.get(reverse("raises:progress", args=[raise_record.pk]))
    assert 'data-applied="1"' in progress.content.decode()
    report = c.get(reverse("raises:report", args=[raise_record.pk]))
    assert report.status_code == 200 and 'data-district="210203"' in report.content.decode()
    export = c.get(reverse("raises:report_export", args=[raise_record.pk]))
    rows = list(openpyxl.load_workbook(io.BytesIO(export.content)).worksheets[0].values)
    assert len(rows) == 1 + 5  # header + the five districts with cases
    notice = c.get(reverse("raises:notice", args=[raise_record.pk]))
    text = notice.content.decode()
    assert "城市低保" in text and "提高" in text and "大连市民政局" in text
    txt = c.get(reverse("raises:notice", args=[raise_record.pk]) + "?format=txt")
    assert txt["Content-Type"].startswith("text/plain") and "大连市民政局" in txt.content.decode()
    listing = c.get(reverse("raises:index")).content.decode()
    assert "standards-history" in listing and "2026年城乡低保提标" in listing


def test_district_admin_reads_own_district_only_and_cannot_write(client, city_admin, district_admin, data):
    raise_record = _create(city_admin, data, f.month_start(0))
    services.raise_approve(acting_user=city_admin, raise_record=raise_record)
    services.raise_apply(raise_id=raise_record.pk, acting_user=city_admin, today=f.month_start(0))
    c = _client(client, district_admin)
    report = c.get(reverse("raises:report", args=[raise_record.pk])).content.decode()
    assert 'data-district="210202"' in report and 'data-district="210203"' not in report
    export = c.get(reverse("raises:report_export", args=[raise_record.pk]))
    rows = list(openpyxl.load_workbook(io.BytesIO(export.content)).worksheets[0].values)
    assert [r[1] for r in rows[1:]] == ["210202"]
    assert c.get(reverse("raises:create")).status_code == 403
    assert c.post(reverse("raises:approve", args=[raise_record.pk])).status_code == 403


def test_auditor_reads_and_exports_but_changes_nothing(client, city_admin, auditor, data):
    raise_record = _create(city_admin, data, f.month_start(0))
    c = _client(client, auditor)
    for name in ("index",):
        assert c.get(reverse(f"raises:{name}")).status_code == 200
    for name in ("detail", "preview", "preview_export", "report", "report_export", "notice", "progress"):
        assert c.get(reverse(f"raises:{name}", args=[raise_record.pk])).status_code == 200, name
    for name in ("approve", "apply", "withdraw", "edit"):
        assert c.post(reverse(f"raises:{name}", args=[raise_record.pk])).status_code == 403, name
    raise_record.refresh_from_db()
    assert raise_record.status == RaiseStatus.DRAFT


def test_notice_text_is_worded_by_the_city_admin(client, city_admin, district_admin, data):
    """The notice is data the city admin edits: saved on the raise, shown and downloaded as worded, back to the
    generated text on reset; a district admin reads it but cannot change it."""
    raise_record = _create(city_admin, data, f.month_start(0))
    url = reverse("raises:notice", args=[raise_record.pk])
    c = _client(client, city_admin)
    generated = c.get(url + "?format=txt").content.decode()
    assert "大连市民政局" in generated
    worded = "关于提高城乡低保标准的通知\r\n\r\n自下月起，城市低保标准提高8%。请各街道张贴。"
    assert c.post(url, {"notice_text": worded, "save": ""}).status_code == 302
    raise_record.refresh_from_db()
    assert raise_record.notice_text == worded.replace("\r\n", "\n")
    page = c.get(url).content.decode()
    assert "请各街道张贴" in page and 'name="reset"' in page
    assert c.get(url + "?format=txt").content.decode() == raise_record.notice_text
    d = _client(client.__class__(), district_admin)
    assert "请各街道张贴" in d.get(url).content.decode() and 'name="notice_text"' not in d.get(url).content.decode()
    assert d.post(url, {"notice_text": "改掉", "save": ""}).status_code == 403
    assert c.post(url, {"reset": ""}).status_code == 302
    raise_record.refresh_from_db()
    assert raise_record.notice_text == ""
    assert c.get(url + "?format=txt").content.decode() == generated


def test_caseworkers_have_no_access(client, caseworker, city_admin, data):
    raise_record = _create(city_admin, data, f.month_start(0))
    c = _client(client, caseworker)
    assert c.get(reverse("raises:index")).status_code == 403
    assert c.get(reverse("raises:report", args=[raise_record.pk])).status_code == 403


def test_future_raise_cannot_be_applied_now(client, city_admin, data):
    raise_record = _create(city_admin, data, f.month_start(2))
    services.raise_approve(acting_user=city_admin, raise_record=raise_record)
    c = _client(client, city_admin)
    response = c.post(reverse("raises:apply", args=[raise_record.pk]), follow=True)
    assert "生效" in response.content.decode()
    raise_record.refresh_from_db()
    assert raise_record.status == RaiseStatus.APPROVED


def test_list_page_query_count_does_not_grow(client, city_admin, data, django_assert_max_num_queries):
    for i in range(5):
        services.raise_create(
            acting_user=city_admin, title=f"草稿{i}", programmes=[data["raise_disability_living"]],
            method="increase_amount", value=Decimal("5"), effective_from=f.month_start(i),
        )  # fmt: skip
    c = _client(client, city_admin)
    with django_assert_max_num_queries(12):
        assert c.get(reverse("raises:index")).status_code == 200
