"""The checked rows wait in the job's stage table between check and commit; the commit re-checks them against the
database as it is then, and rebuilds the stage from the kept file when it is gone. Every row the import writes has
its audit event, a full copy of the row with the import's context, and nothing else has one."""

from __future__ import annotations

import pytest
from django.db import connection

from dalian_minzheng.people.models import (
    Household,
    HouseholdEvent,
    HouseholdMember,
    HouseholdMemberEvent,
    Person,
    PersonEvent,
)
from dalian_minzheng.spreadsheets import engine, services
from dalian_minzheng.spreadsheets.models import ImportJob, ImportStatus

from .helpers import (
    CHILD,
    COMMUNITY,
    HEAD,
    HEAD2,
    MEMBER2,
    OTHER_DISTRICT_COMMUNITY,
    SPOUSE,
    household_rows,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


def stage_exists(job) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [engine.stage_table(job)])
        return cursor.fetchone()[0] is not None


def commit(job):
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)
    return engine.commit_job(job.pk)


def test_the_commit_uses_the_checked_stage_and_drops_it(district_admin, make_job):
    job = engine.validate_job(make_job(district_admin, xlsx_bytes(household_rows())).pk)
    assert stage_exists(job)
    # The commit writes what the check staged: the file is not read again.
    job.file.delete(save=False)
    job = commit(job)
    assert job.status == ImportStatus.COMMITTED and Person.objects.count() == 5
    assert not stage_exists(job)


def test_a_lost_stage_is_rebuilt_from_the_kept_file(district_admin, make_job):
    job = engine.validate_job(make_job(district_admin, xlsx_bytes(household_rows())).pk)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {engine.stage_table(job)}")  # what crash recovery does to an unlogged table
    job = commit(job)
    assert (job.status, job.new_count, job.rejected_count) == (ImportStatus.COMMITTED, 5, 0)
    assert HouseholdMember.objects.count() == 5


def test_the_commit_rechecks_against_the_database_of_the_moment(district_admin, city_admin, make_job, run_import):
    job = engine.validate_job(make_job(district_admin, xlsx_bytes(household_rows())).pk)
    assert (job.new_count, job.rejected_count) == (5, 0)
    # Meanwhile the second household's head is registered in another district.
    run_import(city_admin, xlsx_bytes([[HEAD2, "赵刚", HEAD2, "户主", "农村", OTHER_DISTRICT_COMMUNITY]]), commit=True)
    job = commit(job)
    assert job.status == ImportStatus.COMMITTED
    rejected = dict(job.errors.values_list("row_number", "reason"))
    assert set(rejected) == {5, 6}  # the head's own row, and his member: the household is now outside the area
    assert "辖区以外" in rejected[5] and "辖区以外" in rejected[6]
    assert (job.new_count, job.unchanged_count, job.rejected_count) == (3, 0, 2)
    assert Person.objects.get(id_number=HEAD2).division_id == OTHER_DISTRICT_COMMUNITY
    assert not Person.objects.filter(id_number=MEMBER2).exists()


def test_cancel_and_stale_stages_are_dropped(district_admin, make_job):
    job = engine.validate_job(make_job(district_admin, xlsx_bytes(household_rows())).pk)
    services.import_job_cancel(acting_user=district_admin, job=job)
    assert not stage_exists(job)
    other = engine.validate_job(make_job(district_admin, xlsx_bytes(household_rows())).pk)
    ImportJob.objects.filter(pk=other.pk).update(status=ImportStatus.FAILED)
    assert engine.drop_stale_stages() == 1 and not stage_exists(other)


def _snapshot(obj, fields) -> dict:
    return {f: getattr(obj, f) for f in fields}


@pytest.mark.parametrize(
    ("model", "event_model"),
    [(Person, PersonEvent), (Household, HouseholdEvent), (HouseholdMember, HouseholdMemberEvent)],
)
def test_every_written_row_has_its_event_and_only_those(district_admin, run_import, model, event_model):
    first = run_import(district_admin, xlsx_bytes(household_rows()), commit=True)
    rows = household_rows()
    rows[1][1] = "李秀兰"  # the spouse is renamed
    rows.append([HEAD2, "王小明", CHILD, "子女", "农村", COMMUNITY])  # the child moves to the other household
    del rows[2]
    second = run_import(district_admin, xlsx_bytes(rows), commit=True)
    third = run_import(district_admin, xlsx_bytes(rows), commit=True)  # nothing changes: no event
    assert (third.unchanged_count, third.updated_count, third.new_count) == (5, 0, 0)

    fields = [f.attname for f in model._meta.concrete_fields]
    events = list(event_model.objects.select_related("pgh_context").order_by("pgh_id"))
    by_job: dict[int, list] = {}
    for event in events:
        assert event.pgh_context.metadata["task"] == "spreadsheets.commit_import"
        assert event.pgh_context.metadata["user"] == district_admin.pk
        by_job.setdefault(event.pgh_context.metadata["import_job"], []).append(event)
    assert set(by_job) <= {first.pk, second.pk}
    # The first import inserted every row: one insert event each, a full copy of the row as inserted.
    inserted = {e.pgh_obj_id: e for e in by_job[first.pk]}
    assert {e.pgh_label for e in by_job[first.pk]} == {"insert"}
    assert len(inserted) == len(by_job[first.pk]) == model.objects.filter(pk__in=inserted).count()
    # The last event of each row is the row as it is now.
    latest = {e.pgh_obj_id: e for e in events}
    for obj in model.objects.all():
        assert _snapshot(latest[obj.pk], fields) == _snapshot(obj, fields)
    second_events = by_job.get(second.pk, [])
    if model is Person:  # the renamed spouse, and the child whose hukou type follows the new household's row
        assert sorted((e.pgh_label, e.id_number, e.name, e.hukou_type) for e in second_events) == sorted(
            [("update", SPOUSE, "李秀兰", "urban"), ("update", CHILD, "王小明", "rural")]
        )
    elif model is HouseholdMember:  # the child's old membership ends, the new one starts
        assert sorted((e.pgh_label, e.left_on is None) for e in second_events) == [("insert", True), ("update", False)]
        assert {e.person_id for e in second_events} == {Person.objects.get(id_number=CHILD).pk}
    else:
        assert second_events == []
    assert Person.objects.filter(id_number=HEAD).exists()
