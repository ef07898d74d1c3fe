"""Deliveries: the department API (token, own items, schema, size, idempotency), file upload, supersession."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assistance.checks import services, views
from assistance.checks.models import Delivery, Department, DepartmentRecord, DepartmentToken
from dalian_minzheng.people import idnumbers

pytestmark = pytest.mark.django_db

URL = "/assistance/checks/api/deliveries/"
ID1 = idnumbers.make("210202", dt.date(1970, 5, 6), 11)
ID2 = idnumbers.make("210203", dt.date(1982, 1, 2), 24)


@pytest.fixture
def token(catalogue, city_admin):
    department = Department.objects.get(code="public_security")
    _token, plain = services.token_create(acting_user=city_admin, department=department, name="公安接口")
    return plain


def post(client, body, token=None, raw=False):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = body if raw else json.dumps(body, ensure_ascii=False)
    return client.post(URL, data=data, content_type="application/json", **headers)


def payload(ref="GA-001", as_of="2026-11-01", records=None):
    return {
        "delivery_id": ref,
        "as_of": as_of,
        "records": records
        or [
            {"id_number": ID1, "item": "vehicle", "value": 1, "attributes": {"plate": "辽B12345"}},
            {"id_number": ID2, "item": "hukou", "value": None},
        ],
    }


def nothing_stored():
    return Delivery.objects.count() == 0 and DepartmentRecord.objects.count() == 0


def test_token_is_stored_hashed(token):
    stored = DepartmentToken.objects.get()
    assert stored.token_hash == services.hash_token(token) and token not in stored.token_hash
    assert stored.prefix == token[:8]


def test_accepted_then_idempotent(client, token):
    response = post(client, payload(), token)
    assert response.status_code == 201, response.content
    assert response.json()["records"] == 2 and response.json()["stored"] is True
    again = post(client, payload(), token)
    assert again.status_code == 200 and again.json()["stored"] is False
    assert Delivery.objects.count() == 1 and DepartmentRecord.objects.count() == 2
    assert DepartmentRecord.objects.filter(is_current=True).count() == 2


def test_same_id_different_content_is_a_conflict(client, token):
    assert post(client, payload(), token).status_code == 201
    changed = payload(records=[{"id_number": ID1, "item": "vehicle", "value": 2}])
    response = post(client, changed, token)
    assert response.status_code == 409 and "error" in response.json()
    assert DepartmentRecord.objects.count() == 2


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic abc", "Bearer "])
def test_wrong_or_missing_token_is_401_and_nothing_stored(client, token, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.post(URL, data=json.dumps(payload()), content_type="application/json", **extra)
    assert response.status_code == 401
    assert response.json()["error"]
    assert nothing_stored()


def test_revoked_token_is_refused(client, token, city_admin):
    services.token_revoke(acting_user=city_admin, token=DepartmentToken.objects.get())
    assert post(client, payload(), token).status_code == 401
    assert nothing_stored()


def test_another_departments_item_is_403_and_nothing_stored(client, token):
    body = payload(
        records=[
            {"id_number": ID1, "item": "vehicle", "value": 1},
            {"id_number": ID1, "item": "deposits", "value": 900000},
        ]
    )
    response = post(client, body, token)
    assert response.status_code == 403
    assert "deposits" in response.json()["error"]
    assert nothing_stored()


def test_malformed_json_is_400(client, token):
    response = post(client, '{"delivery_id": "x", "records": [', token, raw=True)
    assert response.status_code == 400 and "JSON" in response.json()["error"]
    assert nothing_stored()


def test_oversized_body_is_413(client, token, monkeypatch):
    monkeypatch.setattr(views, "API_MAX_BYTES", 500)
    rows = [{"id_number": ID1, "item": "hukou", "value": None, "attributes": {"pad": "x" * 600}}]
    response = post(client, payload(records=rows), token)
    assert response.status_code == 413
    assert nothing_stored()


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"as_of": "2026-11-01", "records": [{"id_number": ID1, "item": "hukou"}]}, "delivery_id"),
        (payload(as_of="01/11/2026"), "as_of"),
        ({"delivery_id": "E1", "as_of": "2026-11-01", "records": []}, "records"),
        (payload(records=[{"id_number": "210202197005061234", "item": "hukou"}]), "id_number"),
        (payload(records=[{"id_number": ID1, "item": "no_such_item"}]), "item"),
        (payload(records=[{"id_number": ID1, "item": "vehicle", "value": "many"}]), "value"),
        (payload(records=[{"id_number": ID1, "item": "vehicle", "colour": "red"}]), "colour"),
        (payload(records=[{"id_number": ID1, "item": "vehicle"}, {"id_number": ID1, "item": "vehicle"}]), "twice"),
        (["not", "an", "object"], "JSON"),
    ],
)
def test_schema_errors_are_422_with_reasons(client, token, body, needle):
    response = post(client, body, token)
    assert response.status_code == 422, response.content
    text = json.dumps(response.json(), ensure_ascii=False)
    assert needle in text or response.json().get("errors"), text
    assert nothing_stored()


def test_get_is_refused(client):
    assert client.get(URL).status_code == 405


def test_supersession_newer_as_of_wins_and_history_is_kept(catalogue):
    from tests.checks.factories import deliver

    deliver("banks", [{"id_number": ID1, "item": "deposits", "value": 1000}], as_of=dt.date(2026, 9, 30), ref="B1")
    deliver("banks", [{"id_number": ID1, "item": "deposits", "value": 90000}], as_of=dt.date(2026, 10, 31), ref="B2")
    # a late delivery with an older as-of date is kept as history but does not become current
    late = deliver("banks", [{"id_number": ID1, "item": "deposits", "value": 5}], as_of=dt.date(2026, 8, 31), ref="B0")
    records = DepartmentRecord.objects.filter(id_number=ID1, item__code="deposits")
    assert records.count() == 3
    current = records.get(is_current=True)
    assert current.value == 90000 and current.as_of == dt.date(2026, 10, 31)
    assert late.current_count == 0
    # another person's and another item's records are untouched
    deliver("banks", [{"id_number": ID2, "item": "deposits", "value": 7}], as_of=dt.date(2026, 11, 1), ref="B3")
    assert records.get(is_current=True).value == 90000


def test_file_upload_csv_and_xlsx(client, catalogue, city_admin):
    from tests.conftest import TEST_PASSWORD

    client.login(username=city_admin.username, password=TEST_PASSWORD)
    department = Department.objects.get(code="real_estate")
    csv_bytes = f"身份证号,数据项,值\n{ID1},residential_property,2\n{ID2},nonresidential_property,1\n".encode("gbk")
    response = client.post(
        reverse("checks:deliveries"),
        {
            "department": department.pk,
            "delivery_ref": "BDC-2026-11",
            "as_of": "2026-11-01",
            "file": SimpleUploadedFile("bdc.csv", csv_bytes, content_type="text/csv"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    delivery = Delivery.objects.get(delivery_ref="BDC-2026-11")
    assert delivery.record_count == 2 and delivery.source == "file" and delivery.file

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id_number", "item", "value"])
    sheet.append([ID1, "residential_property", 3])
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post(
        reverse("checks:deliveries"),
        {
            "department": department.pk,
            "delivery_ref": "BDC-2026-12",
            "as_of": "2026-11-20",
            "file": SimpleUploadedFile("bdc.xlsx", buffer.getvalue()),
        },
    )
    assert response.status_code == 302
    current = DepartmentRecord.objects.get(id_number=ID1, item__code="residential_property", is_current=True)
    assert current.value == 3

    # another department's item in the file: refused with a message, nothing stored
    bad = f"id_number,item,value\n{ID1},vehicle,1\n".encode()
    response = client.post(
        reverse("checks:deliveries"),
        {
            "department": department.pk,
            "delivery_ref": "BDC-BAD",
            "as_of": "2026-11-20",
            "file": SimpleUploadedFile("bad.csv", bad),
        },
    )
    assert response.status_code == 200
    assert "vehicle" in response.content.decode()
    assert not Delivery.objects.filter(delivery_ref="BDC-BAD").exists()
