"""The import's inserts read the tables they write once, whatever the planner believes about them.

Each insert checks "not there yet" against the table it fills (a household per head, one current membership per
person). With statistics taken while the people tables were empty (a new district's register, or autovacuum
having analysed them right after they were emptied) the planner chose a nested loop whose inner side rescans that
table as the statement fills it: O(rows²) tuple reads, 73 s for 100,000 members instead of about one (BENCHMARKS.md,
issue 20). The commit's upsert runs without nested loops; this counts the sequential tuple reads of the commit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from dalian_minzheng.people.idnumbers import make
from dalian_minzheng.people.models import Household, HouseholdMember, Person
from dalian_minzheng.spreadsheets import engine
from dalian_minzheng.spreadsheets.models import ImportJob, ImportStatus

from .helpers import COMMUNITY, xlsx_bytes

pytestmark = pytest.mark.django_db

HOUSEHOLDS = 2000


def _rows() -> list[list]:
    rows = []
    for n in range(HOUSEHOLDS):
        head = make("210202", dt.date(1950, 1, 1) + dt.timedelta(days=n), 11)
        spouse = make("210202", dt.date(1950, 1, 1) + dt.timedelta(days=n), 12)
        rows.append([head, f"户主{n}", head, "户主", "城镇", COMMUNITY])
        rows.append([head, f"配偶{n}", spouse, "配偶", "城镇", COMMUNITY])
    return rows


def _seq_reads() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, COALESCE(seq_tup_read, 0) FROM pg_stat_xact_user_tables "
            "WHERE relname IN ('people_person', 'people_household', 'people_householdmember')"
        )
        return dict(cursor.fetchall())


def test_an_import_into_tables_analysed_empty_reads_each_written_table_once(district_admin, make_job):
    assert not Person.objects.exists()
    with connection.cursor() as cursor:  # what autovacuum does to the emptied tables: "they hold nothing"
        cursor.execute("ANALYZE people_person, people_household, people_householdmember")
    job = engine.validate_job(make_job(district_admin, xlsx_bytes(_rows())).pk)
    assert job.status == ImportStatus.VALIDATED and job.new_count == 2 * HOUSEHOLDS
    before = _seq_reads()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)
    job = engine.commit_job(job.pk)
    after = _seq_reads()
    assert job.status == ImportStatus.COMMITTED
    assert Household.objects.count() == HOUSEHOLDS
    assert HouseholdMember.objects.filter(left_on__isnull=True).count() == 2 * HOUSEHOLDS
    rows = 2 * HOUSEHOLDS
    reads = {table: after.get(table, 0) - before.get(table, 0) for table in after}
    # a nested loop rescanning the growing table reads about rows² / 2 tuples (2,000,000 here); once each is ≤ rows
    # per statement that reads it
    assert reads["people_household"] <= 5 * rows, reads
    assert reads["people_householdmember"] <= 5 * rows, reads
