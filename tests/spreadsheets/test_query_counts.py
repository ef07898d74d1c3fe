"""The import list and the export jobs page answer in a constant number of queries for every role that may open
them: the same count with a few jobs as with many (the shape of tests/kernel/test_query_counts.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dalian_minzheng.spreadsheets.models import ExportJob, ExportStatus
from tests.spreadsheets.factories import make_import_job

pytestmark = pytest.mark.django_db
OWN = "210202001"


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx)


def _assert_constant(client, url, grow, what: str) -> None:
    grow(2)
    client.get(url)  # warm per-process caches (content types, translations)
    few = _count(client, url)
    grow(8)
    many = _count(client, url)
    assert many == few, f"{what}: {few} queries with few rows, {many} with many"


@pytest.mark.parametrize("role", ["district_admin", "city_admin", "auditor"])
def test_import_list_constant_queries(client, request, role):
    client.force_login(request.getfixturevalue(role))

    def grow(n: int) -> None:
        for _ in range(n):
            make_import_job(OWN)

    _assert_constant(client, reverse("spreadsheets:import_list"), grow, f"import list as {role}")


@pytest.mark.parametrize("role", ["caseworker", "district_admin", "city_admin", "auditor"])
def test_export_jobs_constant_queries(client, request, role):
    user = request.getfixturevalue(role)
    client.force_login(user)

    def grow(n: int) -> None:
        for i in range(n):
            ExportJob.objects.create(
                kind="assistance.cases",
                requested_by=user,
                status=ExportStatus.DONE if i % 2 else ExportStatus.QUEUED,
                row_count=i,
            )

    _assert_constant(client, reverse("spreadsheets:export_jobs"), grow, f"export jobs as {role}")
