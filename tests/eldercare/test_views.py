"""Eldercare pages: scoped, searchable, filtered and paged lists in a constant number of queries for every role; a
form keeps the user's input and says in Chinese what is wrong; another district's records answer 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from eldercare.models import Facility, Hazard, ServiceRecord
from tests.eldercare.factories import make_facility, make_hazard, make_rating, make_resident

pytestmark = pytest.mark.django_db
COMMUNITIES = ["210202001001", "210202005001", "210203010001", "210211001001"]


def _add(n: int, offset: int = 0) -> None:
    for i in range(offset, offset + n):
        community = COMMUNITIES[i % len(COMMUNITIES)]
        facility = make_facility(
            community,
            name=f"颐养院{i}",
            star_grade=(i % 5) + 1,
            social_forces=i % 2 == 0,
            first_resident_on=dt.date(2026, 1, 2),
            filed_on=None if i % 3 else dt.date(2026, 1, 5),
        )
        make_hazard(community, facility=facility, due_on=dt.date(2026, 1, 9))
        make_rating(community, facility=facility)
        make_resident(community, facility=facility)
        ServiceRecord.objects.create(
            facility=facility, division_id=community, kind="meals", served_on=dt.date(2026, 11, 2), quantity=10
        )


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx)


@pytest.mark.parametrize(
    ("url_name", "params"),
    [
        ("eldercare:index", {}),
        ("eldercare:facility_list", {}),
        ("eldercare:facility_list", {"q": "颐养", "grade": "1", "social_forces": "yes"}),
        ("eldercare:hazard_list", {}),
        ("eldercare:hazard_list", {"overdue": "on"}),
        ("eldercare:rating_list", {}),
        ("eldercare:planning", {}),
        ("eldercare:resident_list", {}),
        ("eldercare:resident_list", {"q": "王", "level": ""}),
        ("eldercare:service_volumes", {"month": "2026-11", "level": "street"}),
        ("eldercare:service_volumes", {"month": "2026-11"}),
    ],
)
@pytest.mark.parametrize("role", ["caseworker", "district_admin", "city_admin", "auditor"])
def test_list_pages_constant_queries(client, request, url_name, params, role):
    client.force_login(request.getfixturevalue(role))
    url = reverse(url_name)
    _add(4)
    client.get(url, params)
    few = _count(client, url, params)
    _add(24, offset=4)
    many = _count(client, url, params)
    assert many == few, f"{url_name} as {role}: {few} queries with 4 facilities, {many} with 28"
    assert many <= 16


@pytest.mark.parametrize("role", ["district_admin", "city_admin", "auditor"])
def test_subsidy_lists_constant_queries(client, request, role):
    from eldercare import services

    client.force_login(request.getfixturevalue(role))
    url = reverse("eldercare:subsidy_lists")
    _add(4)
    services.subsidy_list_compute(district_code="210202", month=dt.date(2026, 9, 1))
    client.get(url)
    few = _count(client, url)
    _add(24, offset=4)
    for month in range(1, 9):
        services.subsidy_list_compute(district_code="210203", month=dt.date(2026, month, 1))
    assert _count(client, url) == few


def test_facility_page_constant_queries(client, district_admin):
    client.force_login(district_admin)
    small = make_facility(COMMUNITIES[0])
    big = make_facility(COMMUNITIES[0])
    for _ in range(8):
        make_hazard(COMMUNITIES[0], facility=big)
        make_resident(COMMUNITIES[0], facility=big)
        make_rating(COMMUNITIES[0], facility=big, status="failed")
    url = "eldercare:facility_detail"
    assert _count(client, reverse(url, args=[small.pk])) == _count(client, reverse(url, args=[big.pk]))


def test_list_is_scoped_searchable_and_paged(client, district_admin):
    _add(120)
    client.force_login(district_admin)  # 中山区: two of the four communities
    page = client.get(reverse("eldercare:facility_list")).context["page"]
    assert page.paginator.count == 60 and len(page.object_list) == 50
    assert all(f.division_id.startswith("210202") for f in page.object_list)
    found = client.get(reverse("eldercare:facility_list"), {"q": "颐养院10"}).context["page"]
    assert {f.name for f in found} == {"颐养院100", "颐养院101", "颐养院104", "颐养院105", "颐养院108", "颐养院109"}
    overdue = client.get(reverse("eldercare:hazard_list"), {"overdue": "on"}).context["page"]
    assert overdue.paginator.count == 60


def test_register_form_keeps_input_and_explains_in_chinese(client, caseworker):
    client.force_login(caseworker)
    response = client.post(
        reverse("eldercare:facility_create"),
        {
            "name": "海军广场养老院",
            "kind": "institution",
            "institution_type": "",
            "legal_form": "non_profit",
            "build_status": "operating",
            "beds": "10",
            "occupied_beds": "12",
            "staff": "1",
            "carers": "1",
            "division": "210202001001",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "海军广场养老院" in html  # the input is kept
    assert "请选择机构类型" in html or "入住床位数不能超过床位数" in html
    assert not Facility.objects.exists()


def test_inspection_with_a_hazard_from_the_page(client, district_admin):
    facility = make_facility(COMMUNITIES[0])
    client.force_login(district_admin)
    response = client.post(
        reverse("eldercare:inspection_create", args=[facility.pk]),
        {
            "kind": "routine",
            "inspected_on": "2026-11-02",
            "inspectors": "张三、李四",
            "onsite": "on",
            "check_routine_exits": "on",
            "check_fire_alarm": "on",
            "hazard_1": "灭火器过期",
            "severity_1": "general",
            "days_1": "5",
        },
    )
    assert response.status_code == 302
    hazard = Hazard.objects.get()
    assert hazard.due_on == dt.date(2026, 11, 9)
    # the routine checklist as recorded: every item of the type, the ticked one passed; the fire item is not on it
    checklist = hazard.inspection.checklist
    assert checklist["安全出口和疏散通道畅通"] is True and checklist["24小时值班制度落实"] is False
    assert len(checklist) == 4
    page = client.get(reverse("eldercare:facility_detail", args=[facility.pk])).content.decode()
    assert "灭火器过期" in page


def test_other_districts_records_answer_404(client, caseworker):
    facility = make_facility("210203010001")
    client.force_login(caseworker)
    assert client.get(reverse("eldercare:facility_detail", args=[facility.pk])).status_code == 404
    hazard = make_hazard("210203010001", facility=facility)
    assert client.post(reverse("eldercare:hazard_rectify", args=[hazard.pk]), {"note": "x"}).status_code == 404


def test_planning_per_street(client, district_admin):
    from tests.kernel.factories import make_id_number, make_person

    make_facility("210202001001", name="A院", beds=60)
    make_facility("210202001002", name="A站", kind="centre", beds=10, social_forces=True)
    make_facility("210202005001", name="B院", beds=30)
    for i in range(4):
        make_person("210202001001", f"老人{i}", id_number=make_id_number(dt.date(1950, 1, 1 + i)))
    make_person("210202001001", "年轻人", id_number=make_id_number(dt.date(1990, 1, 1)))
    make_person("210202005001", "老人B", id_number=make_id_number(dt.date(1940, 1, 1)))
    client.force_login(district_admin)
    context = client.get(reverse("eldercare:planning")).context
    streets = {s.code: s for s in context["streets"]}
    assert (streets["210202001"].beds, streets["210202001"].older, streets["210202001"].beds_per_100) == (70, 4, 1750.0)
    assert streets["210202005"].centres == 0 and streets["210202005"] in context["without_centre"]
    assert context["social_share"] == 100
    assert all(code.startswith("210202") for code in streets)


def test_operator_records_a_service_and_volumes_add_up(client, make_user):
    from eldercare.models import FacilityOperator

    centre = make_facility("210202001001", name="颐康中心", kind="centre")
    operator = make_user("op1", "facility_operator", "210202001001")
    FacilityOperator.objects.create(user=operator, facility=centre)
    client.force_login(operator)
    for day in ("2026-11-02", "2026-11-03", "2026-11-03"):  # the same day twice corrects, never doubles
        response = client.post(
            reverse("eldercare:service_create", args=[centre.pk]), {"kind": "meals", "served_on": day, "quantity": "20"}
        )
        assert response.status_code == 302
    rows = client.get(reverse("eldercare:service_volumes"), {"month": "2026-11"}).context["rows"]
    assert rows == [{"name": "颐康中心", "by_kind": {"meals": 40}, "hours": 0}]
    bad = client.post(
        reverse("eldercare:service_create", args=[centre.pk]),
        {"kind": "meals", "served_on": "2026-11-04", "quantity": "0"},
    )
    assert bad.status_code == 400 and bad.context["service_form"]["quantity"].value() == "0"  # the input is kept


def test_evidence_uploaded_at_the_inspection_is_downloaded_audited(client, district_admin, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dalian_minzheng.audit.models import AccessEvent

    settings.MEDIA_ROOT = str(tmp_path)
    facility = make_facility(COMMUNITIES[0])
    client.force_login(district_admin)
    photo = SimpleUploadedFile("通道.jpg", b"\xff\xd8 a photo", content_type="image/jpeg")
    response = client.post(
        reverse("eldercare:inspection_create", args=[facility.pk]),
        {
            "kind": "routine",
            "inspected_on": "2026-11-02",
            "inspectors": "张三",
            "hazard_1": "通道堆物",
            "severity_1": "general",
            "days_1": "5",
            "evidence_1": photo,
        },
    )
    assert response.status_code == 302
    hazard = Hazard.objects.get()
    download = client.get(reverse("eldercare:hazard_evidence", args=[hazard.pk, "before"]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"\xff\xd8 a photo"
    assert AccessEvent.objects.filter(kind="download", detail__evidence="before").count() == 1
    assert client.get(reverse("eldercare:hazard_evidence", args=[hazard.pk, "after"])).status_code == 404
