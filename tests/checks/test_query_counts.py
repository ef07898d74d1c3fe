"""The check pages answer in a constant number of queries for every role: the same count with a few runs, findings
and members as with many (the shape of tests/kernel/test_query_counts.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assistance.checks.models import Authorisation
from dalian_minzheng.people.models import Relationship
from tests.checks.factories import authorise, make_application, make_finding, make_run
from tests.kernel.factories import make_person

pytestmark = pytest.mark.django_db
OWN = "210202001"
ROLES = ["caseworker", "district_admin", "city_admin", "auditor"]


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx)


def _assert_constant(client, url, grow, what: str) -> None:
    grow(2)
    client.get(url)  # warm per-process caches (content types, translations)
    few = _count(client, url)
    grow(6)
    many = _count(client, url)
    assert many == few, f"{what}: {few} queries with few rows, {many} with many"


@pytest.mark.parametrize("role", ROLES)
def test_index_constant_queries(client, request, role):
    client.force_login(request.getfixturevalue(role))

    def grow(n: int) -> None:
        for _ in range(n):
            make_run(OWN)
            make_finding(OWN)

    _assert_constant(client, reverse("checks:index"), grow, f"checks index as {role}")


@pytest.mark.parametrize("role", ROLES)
def test_application_page_constant_queries(client, request, role):
    client.force_login(request.getfixturevalue(role))
    application = make_application(OWN)
    household = application.household

    def grow(n: int) -> None:
        for _ in range(n):
            household.members.create(
                person=make_person(OWN), relationship=Relationship.CHILD, joined_on=household.created_at.date()
            )
        signed = Authorisation.objects.filter(household_id=application.household_id).values_list("person_id", flat=True)
        authorise(application, except_person_ids=tuple(signed))

    url = reverse("checks:application", args=[application.pk])
    _assert_constant(client, url, grow, f"application check page as {role}")
