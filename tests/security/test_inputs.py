"""Issue 13, item 6: the delivery API and every JSON or form input answer 400/422, never 500, for deep nesting,
NUL characters, huge numbers and wrong encodings. Each case of the issue is a test; hypothesis then fuzzes the API
body, the query strings of every page and the login form (derandomized, a few dozen examples each, so the file
runs in well under a minute)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import DataError
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assistance.checks import services
from assistance.checks.models import Delivery, Department, DepartmentRecord
from dalian_minzheng.core import inputs
from dalian_minzheng.people import idnumbers
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.django_db

API = "/assistance/checks/api/deliveries/"
ID1 = idnumbers.make("210202", dt.date(1970, 5, 6), 11)
FUZZ = hypothesis_settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI is never red by chance
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture
def catalogue(divisions):
    from assistance import reference as assistance_reference
    from assistance.checks import reference

    assistance_reference.load()
    reference.load()


@pytest.fixture
def token(catalogue, city_admin):
    department = Department.objects.get(code="public_security")
    _token, plain = services.token_create(acting_user=city_admin, department=department, name="公安接口")
    return plain


def api_post(client, body: bytes | str, token: str, content_type: str = "application/json"):
    return client.post(API, data=body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}")


def payload(**fields) -> dict:
    body = {
        "delivery_id": "GA-001",
        "as_of": "2026-11-01",
        "records": [{"id_number": ID1, "item": "vehicle", "value": 1, "attributes": {"plate": "辽B12345"}}],
    }
    body.update(fields)
    return body


def nothing_stored() -> bool:
    return Delivery.objects.count() == 0 and DepartmentRecord.objects.count() == 0


# ---------------------------------------------------------------- the cases, one by one


def test_deep_nesting_is_400_not_500(client, token):
    response = api_post(client, "[" * 200_000, token)
    assert response.status_code == 400 and "嵌套" in response.json()["error"]
    response = api_post(
        client,
        json.dumps(
            payload(records=[{"attributes": {"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}])
        ),
        token,
    )
    assert response.status_code == 400 and "32" in response.json()["error"]
    assert nothing_stored()


@pytest.mark.parametrize(
    "body",
    [
        payload(delivery_id="GA\x00001"),
        payload(records=[{"id_number": ID1, "item": "vehicle", "value": 1, "attributes": {"plate": "辽B\x00"}}]),
        payload(records=[{"id_number": ID1, "item": "vehicle", "value": 1, "attributes": {"k\x00": 1}}]),
        payload(records=[{"id_number": ID1 + "\x00", "item": "vehicle\x00"}]),
    ],
    ids=["delivery_id", "attribute value", "attribute key", "id and item"],
)
def test_a_nul_character_anywhere_is_400(client, token, body):
    response = api_post(client, json.dumps(body), token)
    assert response.status_code == 400 and "NUL" in response.json()["error"]
    assert nothing_stored()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"delivery_id": "x", "as_of": "2026-11-01", "records": [{"value": 1e999}]}', "太大"),
        ('{"delivery_id": "x", "as_of": "2026-11-01", "records": [{"value": NaN}]}', "NaN"),
        ('{"delivery_id": "x", "as_of": "2026-11-01", "records": [{"value": -Infinity}]}', "Infinity"),
        ('{"delivery_id": "x", "records": [{"value": ' + "9" * 5000 + "}]}", "JSON"),
    ],
    ids=["1e999", "NaN", "-Infinity", "5000 digits"],
)
def test_huge_and_non_finite_numbers_are_400(client, token, text, needle):
    response = api_post(client, text, token)
    assert response.status_code == 400 and needle in response.json()["error"]
    assert nothing_stored()


def test_a_huge_but_finite_value_is_422(client, token):
    rows = [
        {"id_number": ID1, "item": "vehicle", "value": 10**300},
        {"id_number": ID1, "item": "hukou", "value": "1e9999"},
    ]
    response = api_post(client, json.dumps(payload(records=rows)), token)
    assert response.status_code == 422 and nothing_stored()
    assert all(e["field"] == "value" for e in response.json()["errors"])


@pytest.mark.parametrize(
    "body",
    [
        json.dumps(payload(delivery_id="公安局"), ensure_ascii=False).encode("gbk"),
        json.dumps(payload(), ensure_ascii=False).encode("utf-16"),
        b'{"delivery_id": "\xff\xfe"}',
    ],
    ids=["GBK", "UTF-16", "invalid bytes"],
)
def test_a_body_that_is_not_utf8_is_400(client, token, body):
    response = api_post(client, body, token)
    assert response.status_code == 400 and "UTF-8" in response.json()["error"]
    assert nothing_stored()


def test_a_valid_delivery_still_goes_through(client, token):
    response = api_post(client, json.dumps(payload(), ensure_ascii=False).encode(), token)
    assert response.status_code == 201, response.content
    assert DepartmentRecord.objects.get().attributes == {"plate": "辽B12345"}


def test_a_nul_in_the_query_string_path_or_form_is_400(client, city_admin):
    assert client.login(username=city_admin.username, password=TEST_PASSWORD)
    for url in ("/people/?q=2102%00", "/spreadsheets/templates/a%00.xlsx", "/assistance/?status=%00"):
        response = client.get(url)
        assert response.status_code == 400 and "NUL" in response.content.decode(), url
    response = client.post(
        reverse("checks:deliveries"), {"department": "", "delivery_ref": "x\x00", "as_of": "2026-11-01"}
    )
    assert response.status_code == 400 and nothing_stored()


def test_the_login_form_answers_400_to_nul_and_copes_with_bad_bytes(client):
    response = client.post(reverse("login"), {"username": "admin\x00", "password": "x"})
    assert response.status_code == 400 and "NUL" in response.content.decode()
    bad = b"username=\xff\xfe%C0%AF&password=\x81\x82"
    response = client.post(reverse("login"), data=bad, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and "_auth_user_id" not in client.session  # the form, with its error
    gbk = "username=管理员&password=x".encode("gbk")
    response = client.generic(
        "POST", reverse("login"), gbk, content_type="application/x-www-form-urlencoded; charset=bogus"
    )
    assert response.status_code == 200


def test_a_database_data_error_is_400():
    request = RequestFactory().get("/people/?page=99999999999999999999")
    response = inputs.InputGuardMiddleware(lambda r: None).process_exception(
        request, DataError("value out of range for type bigint")
    )
    assert response.status_code == 400 and "无效" in response.content.decode()


def test_the_delivery_file_upload_refuses_nul_and_deep_json_cells(client, city_admin, catalogue):
    from django.core.files.uploadedfile import SimpleUploadedFile

    assert client.login(username=city_admin.username, password=TEST_PASSWORD)
    department = Department.objects.get(code="public_security")
    lines = [
        "id_number,item,value,attributes",
        f'{ID1},vehicle,1,"{"[" * 5000}"',
        f'{ID1},hukou,,"{{""a"": ""\\u0000""}}"',
        f"{ID1}\x00,vehicle\x00,1\x00,\x00",
    ]
    upload = SimpleUploadedFile("d.csv", "\n".join(lines).encode())
    response = client.post(
        reverse("checks:deliveries"),
        {"department": department.pk, "delivery_ref": "F-1", "as_of": "2026-11-01", "file": upload},
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert nothing_stored()


# ---------------------------------------------------------------- fuzzing

NASTY = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "\x00",
            "a\x00b",
            "9" * 5000,
            "99999999999999999999",
            "-9223372036854775809",
            "1e999",
            "NaN",
            "Infinity",
            "[" * 3000,
            "2026-02-30",
            "%00",
            "\ufeff",
            "\ud7ff\ue000",
            "' OR 1=1 --",
        ]
    ),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    NASTY,
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NASTY, inner, max_size=3),
    max_leaves=10,
)
RECORD = st.fixed_dictionaries(
    {},
    optional={
        "id_number": st.one_of(st.just(ID1), NASTY),
        "item": st.one_of(st.sampled_from(["vehicle", "hukou", "deposits"]), NASTY),
        "value": JSON_LEAF,
        "attributes": JSON_VALUE,
    },
)
PAYLOAD = st.fixed_dictionaries(
    {},
    optional={
        "delivery_id": st.one_of(st.just("GA-F"), NASTY, JSON_VALUE),
        "as_of": st.one_of(st.just("2026-11-01"), NASTY),
        "records": st.one_of(st.lists(RECORD, min_size=1, max_size=3), JSON_VALUE),
    },
)
BODIES = st.one_of(
    PAYLOAD.map(lambda p: json.dumps(p, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    JSON_VALUE.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.integers(min_value=1, max_value=200_000).map(lambda n: b"[" * n),
    st.integers(min_value=1, max_value=5_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
)


@FUZZ
@given(body=BODIES)
def test_fuzz_the_delivery_api_never_answers_500(client, token, body):
    before = Delivery.objects.count()
    response = api_post(client, body, token)  # an exception in the view fails the test (the test client re-raises)
    assert response.status_code in (200, 201, 400, 403, 409, 413, 422), response.content[:300]
    assert "error" in response.json() if response.status_code >= 400 else True
    if response.status_code >= 400:
        assert Delivery.objects.count() == before


def _plain_get_routes() -> list[str]:
    """Every URL of the portal's own apps that takes no argument (the admin is Django's; the API is fuzzed above)."""
    found: list[str] = []

    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                if "admin" not in route:
                    walk(p.url_patterns, route)
            elif (
                isinstance(p, URLPattern)
                and "<" not in route
                and "api/" not in route
                and "logout" not in route
                and "healthz" not in route
            ):
                found.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns)
    return sorted(set(found))


GET_ROUTES = _plain_get_routes()
PARAM_NAMES = [
    "q",
    "page",
    "division",
    "status",
    "year",
    "month",
    "programme",
    "kind",
    "format",
    "since",
    "until",
    "district",
    "community",
    "job",
    "sort",
    "item",
    "department",
    "person",
    "id",
    "full_ids",
    "retry",
]


@pytest.mark.parametrize("url", GET_ROUTES)
@hypothesis_settings(FUZZ, max_examples=3)
@given(params=st.dictionaries(st.sampled_from(PARAM_NAMES) | NASTY, NASTY, max_size=4))
@example(params={"q": "2102\x00"})
@example(params={"page": "9" * 30, "division": "99999999999999999999", "year": "-1", "month": "13"})
def test_fuzz_every_page_query_string_never_answers_500(client, city_admin, url, params):
    client.force_login(city_admin)
    response = client.get(url, params)
    assert response.status_code < 500, (url, params)


@FUZZ
@given(username=NASTY, password=NASTY)
def test_fuzz_the_login_form_never_answers_500(client, settings, username, password):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # the input is under test
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code in (200, 400, 403, 429), (username, password)
    assert "_auth_user_id" not in client.session
