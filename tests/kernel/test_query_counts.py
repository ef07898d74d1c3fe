"""Every kernel list page answers in a constant number of queries: the same count with 5 rows as with 50."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dalian_minzheng.people import services
from dalian_minzheng.people.models import Relationship
from tests.kernel.factories import make_household, make_person

pytestmark = pytest.mark.django_db
STREETS = ["210202001", "210202005", "210203001", "210211001"]


def _add_households(n: int) -> None:
    """Households of two, spread over two 中山区 streets, 西岗区 and 甘井子区 (each role sees some of them)."""
    for i in range(n):
        street = STREETS[i % len(STREETS)]
        household = make_household(street, head_name=f"王{i}")
        child = make_person(street, name=f"王小{i}")
        household.members.create(person=child, relationship=Relationship.CHILD, joined_on=household.created_at.date())


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, url
    return len(ctx)


@pytest.mark.parametrize(
    "url_name, params",
    [
        ("people:person_list", {}),
        ("people:person_list", {"q": "王"}),
        ("people:household_list", {}),
        ("people:household_list", {"q": "王"}),
        ("home", {}),
    ],
)
@pytest.mark.parametrize("role", ["caseworker", "district_admin", "city_admin", "auditor"])
def test_list_pages_constant_queries(client, request, url_name, params, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    url = reverse(url_name)
    _add_households(5)
    client.get(url, params)  # warm per-process caches (content types, translations)
    few = _count(client, url, params)
    _add_households(45)
    many = _count(client, url, params)
    assert many == few, f"{url_name} as {role}: {few} queries with 5 households, {many} with 50"
    assert many <= 12


def test_household_detail_constant_queries(client, caseworker):
    client.force_login(caseworker)
    small = make_household("210202001")
    big = make_household("210202001", head_name="赵大")
    for i in range(12):
        person = make_person("210202001", name=f"赵{i}")
        member = services.household_add_member(
            acting_user=caseworker, household=big, person=person, relationship=Relationship.CHILD
        )
        if i % 3 == 0:
            services.household_member_leave(acting_user=caseworker, membership=member)
    assert _count(client, reverse("people:household_detail", args=[small.pk])) == _count(
        client, reverse("people:household_detail", args=[big.pk])
    )
