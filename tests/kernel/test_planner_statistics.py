"""The planner trap of a table analysed while empty (issue 11).

After earlier tests emptied `people_division`, autovacuum may analyse it while empty: `reltuples = 0` with pages
left behind. A test's transaction then loaded the whole division tree, and the planner, still believing in zero
rows, put each of an admin changelist's four division joins on the outside of a nested loop — minutes of CPU on the
embedded PostgreSQL. Reference loaders now ANALYZE what they filled (`dalian_minzheng.core.db.analyze`); these tests
make the trap on purpose (inside their own transaction) and then load the reference data as production does.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from dalian_minzheng.people import reference
from dalian_minzheng.people.models import Division

# the tables of the Application changelist's nine-table join
TRAP_TABLES = ("people_division", "people_person", "people_household", "assistance_application", "assistance_programme")


def _estimated_rows(sql: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return plan[0]["Plan"]["Plan Rows"]


def _analysed_while_empty() -> None:
    """The state a flush and an unlucky autovacuum leave behind."""
    assert not Division.objects.exists()
    with connection.cursor() as cursor:
        for table in TRAP_TABLES:
            cursor.execute(f"ANALYZE {table}")
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'people_division'")
        assert cursor.fetchone()[0] <= 0


@pytest.mark.django_db
def test_loading_the_divisions_leaves_the_planner_true_statistics():
    _analysed_while_empty()
    count = reference.load()
    assert count > 400
    assert _estimated_rows("SELECT * FROM people_division") >= 0.9 * count


@pytest.mark.django_db
@pytest.mark.timeout(60)  # the trap ran for 5+ minutes; with true statistics each page takes well under a second
def test_changelists_and_the_case_list_answer_after_the_trap(client):
    from dalian_minzheng.accounts.models import User
    from tests.assistance import factories

    _analysed_while_empty()
    reference.load()
    for _ in range(3):
        factories.make_application("210202001")
    factories.make_case("210202001")
    client.force_login(get_user_model().objects.create_superuser("trap_root", "root@example.invalid", None))
    for name in ("admin:assistance_application_changelist", "admin:assistance_case_changelist"):
        assert client.get(reverse(name)).status_code == 200
    client.force_login(User.objects.create_user("trap_da", role="district_admin", division_id="210202"))
    response = client.get(reverse("assistance:case_list"))
    assert response.status_code == 200
    assert response.context["page"].count == 1


@pytest.mark.django_db
def test_a_raise_apply_leaves_the_planner_the_amount_changes_it_wrote(divisions, city_admin):
    """The first raise takes the amount changes from empty to one per case; the report joins them to the cases. A
    `CaseAmountChange ⋈ Case` select planned from the empty-table estimate ran for 44 minutes in an earlier run."""
    from decimal import Decimal

    from assistance.models import CaseAmountChange
    from assistance.raises import services
    from tests.raises import factories as f

    progs = f.standards()
    f.mixed_cases()
    f.tolerate_outliers()  # approved by one admin: the guard has its own tests
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE assistance_caseamountchange")  # analysed while (nearly) empty
    on = f.month_start(0)
    record = services.raise_create(
        acting_user=city_admin,
        title="2026年提标",
        programmes=[progs["raise_urban_allowance"], progs["raise_rural_allowance"]],
        districts=[],
        components=["basic"],
        method="increase_percent",
        value=Decimal("8"),
        rounding="up_yuan",
        effective_from=on,
    )
    services.raise_approve(acting_user=city_admin, raise_record=record)
    result = services.raise_apply(raise_id=record.pk, acting_user=city_admin, today=on)

    assert result.cases_changed > 0
    written = CaseAmountChange.objects.count()
    assert _estimated_rows("SELECT * FROM assistance_caseamountchange") >= 0.9 * written
