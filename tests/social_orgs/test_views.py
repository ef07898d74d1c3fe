"""Social-organisation pages: scoped, filtered and paged lists in a constant number of queries for every role; the
organisation page in a fixed number of queries; a form keeps the input and says in Chinese what is wrong; the public
look-up works without login and shows no personal data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.kernel.factories import make_person
from tests.social_orgs.factories import (
    inspection_year,
    make_case,
    make_evaluation,
    make_inspection,
    make_listing,
    make_organisation,
    make_project,
)

pytestmark = pytest.mark.django_db
COMMUNITIES = ["210202001001", "210202005001", "210203010001", "210211001001"]


def _add(n: int, offset: int = 0) -> None:
    for i in range(offset, offset + n):
        community = COMMUNITIES[i % len(COMMUNITIES)]
        org = make_organisation(community, name=f"协会{i}", evaluation_grade=(i % 5) + 1)
        make_inspection(community, organisation=org, year=2025, late=i % 2 == 0)
        make_listing(community, organisation=org, status="listed", listed_on=dt.date(2026, 11, 3))
        make_case(community, organisation=org)
        make_evaluation(community, organisation=org)
        make_project(community, organisation=org, status="contracted")


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url_name,kwargs,params",
    [
        ("social_orgs:index", {}, None),
        ("social_orgs:organisation_list", {}, {"q": "协会"}),
        ("social_orgs:organisation_list", {}, {"listed": "abnormal", "org_type": "association"}),
        ("social_orgs:inspection_years", {}, None),
        ("social_orgs:inspection_year", {"year": 2025}, {"tab": "missing"}),
        ("social_orgs:inspection_year", {"year": 2025}, {"tab": "submitted"}),
        ("social_orgs:listing_list", {}, {"status": "active"}),
        ("social_orgs:evaluation_list", {}, None),
        ("social_orgs:case_list", {}, {"step": "open"}),
        ("social_orgs:campaign", {}, {"year": "2026"}),
        ("social_orgs:project_list", {}, None),
    ],
)
@pytest.mark.parametrize("role", ["caseworker", "district_admin", "city_admin", "auditor"])
def test_list_pages_constant_queries(client, request, url_name, kwargs, params, role):
    client.force_login(request.getfixturevalue(role))
    inspection_year(2025)
    url = reverse(url_name, kwargs=kwargs)
    _add(4)
    client.get(url, params)
    few = _count(client, url, params)
    _add(20, offset=4)
    many = _count(client, url, params)
    assert many == few, f"{url_name} as {role}: {few} queries with 4 organisations, {many} with 24"
    assert many <= 20


def test_organisation_page_constant_queries(client, district_admin):
    client.force_login(district_admin)
    small = make_organisation(COMMUNITIES[0])
    big = make_organisation(COMMUNITIES[0])
    for year in (2023, 2024, 2025):
        make_inspection(COMMUNITIES[0], organisation=big, year=year)
    for _ in range(5):
        make_case(COMMUNITIES[0], organisation=big, step="closed")
        make_project(COMMUNITIES[0], organisation=big)
        make_listing(COMMUNITIES[0], organisation=big, status="removed", ended_on=dt.date(2026, 11, 5))
    url = "social_orgs:organisation_detail"
    assert _count(client, reverse(url, args=[small.pk])) == _count(client, reverse(url, args=[big.pk]))


def test_create_form_keeps_input_and_says_why(client, district_admin):
    client.force_login(district_admin)
    response = client.post(
        reverse("social_orgs:organisation_create"),
        {"credit_code": "51210202MJ1234567X", "name": "星海志愿者协会", "org_type": "association",
         "registration_authority": "中山区民政局", "registered_on": "2020-05-01", "party_branch": "none",
         "party_members": "0", "division": "210202001001"},
    )  # fmt: skip
    assert response.status_code == 200
    text = response.content.decode()
    assert "星海志愿者协会" in text and "校验码应为" in text


def test_public_lookup_without_login_shows_no_personal_data(client, divisions):
    rep = make_person(COMMUNITIES[0], "李秀英")
    org = make_organisation(COMMUNITIES[0], name="星海慈善协会", legal_representative=rep)
    make_listing(COMMUNITIES[0], organisation=org, status="listed", listed_on=dt.date(2026, 11, 3))
    response = client.get(reverse("social_orgs:public_lookup"), {"q": "星海"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "星海慈善协会" in text and org.credit_code in text and "2026-11-03" in text
    assert "李秀英" not in text and rep.id_number not in text and rep.masked_id_number not in text
    by_code = client.get(reverse("social_orgs:public_lookup"), {"q": org.credit_code}).content.decode()
    assert by_code.count("星海慈善协会") == 1


def test_other_district_record_answers_404(client, caseworker_other_district):
    client.force_login(caseworker_other_district)
    org = make_organisation(COMMUNITIES[0])
    assert client.get(reverse("social_orgs:organisation_detail", args=[org.pk])).status_code == 404


def test_registry_and_credit_list_exports_follow_the_filters(client, district_admin):
    client.force_login(district_admin)
    kept = make_organisation(COMMUNITIES[0], name="星海书法协会")
    make_organisation(COMMUNITIES[1], name="星海围棋协会")
    make_listing(COMMUNITIES[0], organisation=kept, status="listed", listed_on=dt.date(2026, 11, 3))
    export = reverse("spreadsheets:export")

    def body(params):
        response = client.get(export, {**params, "format": "csv"})
        assert response.status_code == 200
        content = b"".join(response.streaming_content) if response.streaming else response.content
        return content.decode("utf-8-sig")

    registry = body({"kind": "social_orgs.organisations", "q": "书法"})
    assert kept.credit_code in registry and "围棋" not in registry and registry.count("\n") == 2
    lists = body({"kind": "social_orgs.listings", "status": "active"})
    assert "星海书法协会" in lists and "2026-11-03" in lists
    assert "kind=social_orgs.organisations" in client.get(reverse("social_orgs:organisation_list")).content.decode()
