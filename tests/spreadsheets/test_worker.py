"""With a real Celery worker process: the check and the commit run in the worker; a worker killed in the middle
of a commit leaves no partial import, and the job is retried to completion by a new worker."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dalian_minzheng.people.models import Household, HouseholdMember, Person
from dalian_minzheng.spreadsheets import services
from dalian_minzheng.spreadsheets.models import ExportJob, ExportStatus, ImportJob, ImportStatus
from tests.conftest import test_database_url as database_url

from .helpers import COMMUNITY, SPOUSE, household_rows, xlsx_bytes

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout: float = 90, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def job_status(job: ImportJob) -> str:
    return ImportJob.objects.values_list("status", flat=True).get(pk=job.pk)


def lock_waiters(conn) -> int:
    return conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()[0]


def test_worker_killed_during_commit_leaves_nothing_and_the_retry_completes(celery_worker_process, district_admin):
    worker = celery_worker_process()
    upload = SimpleUploadedFile("家庭成员.xlsx", xlsx_bytes(household_rows()))
    job = services.import_job_create(acting_user=district_admin, kind="people.household_members", upload=upload)
    services.import_job_validate(acting_user=district_admin, job=job)
    wait_for(lambda: job_status(job) == ImportStatus.VALIDATED, what="validation in the worker")
    job.refresh_from_db()
    assert (job.new_count, job.rejected_count) == (5, 0)

    # Another transaction holds an uncommitted row with one of the file's ID numbers, so the worker's commit stops
    # in the middle of its person upsert (some rows already inserted) — and is killed there.
    dsn = database_url()
    blocker = psycopg.connect(dsn)
    monitor = psycopg.connect(dsn, autocommit=True)
    try:
        blocker.execute(
            """INSERT INTO people_person (id_number, name, sex, birth_date, phone, hukou_type, address, division_id,
                                          is_deceased, created_at, updated_at)
               VALUES (%s, '阻塞', 'F', '1962-03-15', '', 'urban', '', %s, false, now(), now())""",
            [SPOUSE, COMMUNITY],
        )
        services.import_job_commit(acting_user=district_admin, job=job)
        wait_for(lambda: lock_waiters(monitor) > 0, what="the commit to block mid-upsert")
        worker.kill()
        # PostgreSQL notices the dead client (client_connection_check_interval) and rolls the commit back.
        wait_for(lambda: lock_waiters(monitor) == 0, timeout=30, what="the killed commit to roll back")
    finally:
        blocker.rollback()
        blocker.close()
        monitor.close()

    assert Person.objects.count() == 0 and Household.objects.count() == 0 and HouseholdMember.objects.count() == 0
    assert job_status(job) == ImportStatus.COMMITTING  # shown with a retry button

    celery_worker_process()
    services.import_job_commit(acting_user=district_admin, job=ImportJob.objects.get(pk=job.pk))
    wait_for(lambda: job_status(job) == ImportStatus.COMMITTED, what="the retried commit")
    assert Person.objects.count() == 5 and Household.objects.count() == 2 and HouseholdMember.objects.count() == 5
    job.refresh_from_db()
    assert (job.new_count, job.updated_count, job.unchanged_count, job.rejected_count) == (5, 0, 0, 0)


def test_export_job_runs_in_the_worker(celery_worker_process, district_admin, client):
    from dalian_minzheng.spreadsheets.tasks import run_export

    Person.objects.create(id_number=SPOUSE, name="李秀英", sex="F", birth_date="1962-03-15", division_id=COMMUNITY)
    celery_worker_process()
    job = ExportJob.objects.create(kind="people.persons", requested_by=district_admin, file_format="csv")
    run_export.delay(job.pk)
    wait_for(lambda: ExportJob.objects.get(pk=job.pk).status == ExportStatus.DONE, what="the export")
    job.refresh_from_db()
    assert job.row_count == 1 and job.file.read().decode("utf-8").count("李秀英") == 1


def test_two_commits_touching_the_same_people_are_serialised(district_admin, make_job):
    """A commit waits for the advisory lock held by another import of the same tables, then runs."""
    import threading

    from django.db import connection

    from dalian_minzheng.spreadsheets import engine

    job = make_job(district_admin, xlsx_bytes(household_rows()))
    engine.validate_job(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)
    holder = psycopg.connect(database_url())
    monitor = psycopg.connect(database_url(), autocommit=True)
    outcome = {}

    def commit():
        try:
            outcome["job"] = engine.commit_job(job.pk)
        finally:
            connection.close()

    try:
        holder.execute("SELECT pg_advisory_xact_lock(hashtext('spreadsheets:people'))")
        thread = threading.Thread(target=commit)
        thread.start()
        wait_for(
            lambda: monitor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory'").fetchone()[
                0
            ],
            what="the second import to wait for the first",
        )
        assert Person.objects.count() == 0 and thread.is_alive()
        holder.rollback()  # the first import ends
        thread.join(60)
    finally:
        holder.close()
        monitor.close()
    assert outcome["job"].status == ImportStatus.COMMITTED and Person.objects.count() == 5


def test_export_whose_worker_dies_is_shown_interrupted_and_the_retry_completes(
    celery_worker_process, district_admin, client
):
    from dalian_minzheng.spreadsheets import exports
    from dalian_minzheng.spreadsheets.tasks import run_export
    from tests.conftest import TEST_PASSWORD

    Person.objects.create(id_number=SPOUSE, name="李秀英", sex="F", birth_date="1962-03-15", division_id=COMMUNITY)
    worker = celery_worker_process()
    job = ExportJob.objects.create(kind="people.persons", requested_by=district_admin, file_format="xlsx")
    # The export's query waits behind a lock held here; the worker is killed while it waits, mid-job.
    locker = psycopg.connect(database_url())
    try:
        locker.execute("LOCK TABLE people_person IN ACCESS EXCLUSIVE MODE")
        run_export.delay(job.pk)
        wait_for(lambda: ExportJob.objects.get(pk=job.pk).status == ExportStatus.RUNNING, what="the export to start")
        worker.kill()
    finally:
        locker.rollback()
        locker.close()
    assert ExportJob.objects.get(pk=job.pk).status == ExportStatus.RUNNING

    assert client.login(username=district_admin.username, password=TEST_PASSWORD)
    page = f"/spreadsheets/exports/?job={job.token}"
    client.get(page)  # heard from a moment ago: still shown as running
    assert ExportJob.objects.get(pk=job.pk).status == ExportStatus.RUNNING
    from django.core.cache import cache

    cache.set(exports.progress_key(job.pk), {"percent": 3, "at": time.time() - 2 * exports.STALE_RUNNING_SECONDS})
    body = client.get(page).content.decode()
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and "中断" in job.error_message
    assert "中断" in body and "retry=1" in body  # a clear message and a retry button

    celery_worker_process()
    assert client.get(page + "&retry=1").status_code == 302
    wait_for(lambda: ExportJob.objects.get(pk=job.pk).status == ExportStatus.DONE, what="the retried export")
    job.refresh_from_db()
    assert job.row_count == 1 and job.error_message == ""
    download = client.get(f"/spreadsheets/exports/download/?job={job.token}")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"PK")
    job.file.delete(save=False)
