"""The sweeper's claim (exactly once, attempts, give up with a Chinese message) and /healthz's busy and dead,
on the real database and Redis (no worker: the heartbeat rows are written as a dead or a live worker leaves them)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from dalian_minzheng.core import jobs
from dalian_minzheng.core.models import JobHeartbeat


@pytest.fixture
def purge():
    from dalian_minzheng.celery import app

    app.control.purge()
    yield
    app.control.purge()


def _beat(kind="import", key="1", *, age_seconds: float, attempts: int = 1, task="spreadsheets.commit_import"):
    at = timezone.now() - dt.timedelta(seconds=age_seconds)
    return JobHeartbeat.objects.create(
        kind=kind, key=key, task=task, args=[int(key)], stage="committing-85", worker="gone:1",
        attempts=attempts, started_at=at, heartbeat_at=at,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_silent_job_is_claimed_once_and_a_fresh_one_not_at_all(purge, settings):
    import redis

    settings.JOBS_STALE_SECONDS = 60
    _beat(key="1", age_seconds=300)
    _beat(key="2", age_seconds=5)
    queue = redis.Redis.from_url(settings.REDIS_URL)
    before = queue.llen("celery")
    assert jobs.recover_stalled() == {"requeued": ["import:1"], "failed": [], "alive": []}
    assert queue.llen("celery") == before + 1  # the commit task, sent again
    claimed = JobHeartbeat.objects.get(key="1")
    assert claimed.attempts == 2 and claimed.stage == "requeued"
    # the claim restarted its clock: a second sweep (or a second beat at the same moment) takes nothing
    assert jobs.recover_stalled() == {"requeued": [], "failed": [], "alive": []}
    assert queue.llen("celery") == before + 1


@pytest.mark.django_db
def test_past_the_attempt_limit_the_job_fails_with_a_message(purge, settings, district_admin):
    from dalian_minzheng.spreadsheets import tasks  # noqa: F401  (registers the import kind)
    from dalian_minzheng.spreadsheets.models import ImportJob, ImportStatus

    settings.JOBS_MAX_ATTEMPTS = 3
    job = ImportJob.objects.create(
        kind="people.household_members", original_name="a.xlsx", uploaded_by=district_admin,
        division_id=district_admin.division_id, status=ImportStatus.COMMITTING,
    )  # fmt: skip
    _beat(key=str(job.pk), age_seconds=300, attempts=3)
    with translation.override("zh-hans"):
        assert jobs.recover_stalled()["failed"] == [f"import:{job.pk}"]
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "已中断 3 次" in job.error_message and "不再自动重试" in job.error_message
    assert not JobHeartbeat.objects.exists()


@pytest.mark.django_db
def test_healthz_tells_dead_from_busy_by_the_heartbeats(client, monkeypatch):
    from dalian_minzheng.core import health

    monkeypatch.setattr(health, "WORKER_TIMEOUT_SECONDS", 1.0)
    row = _beat(age_seconds=600)
    body = client.get("/healthz").json()["checks"]["worker"]
    assert body["state"] == "dead" and body["jobs"]["stale"] == 1
    assert "without a heartbeat" in body["error"]

    JobHeartbeat.objects.filter(pk=row.pk).update(heartbeat_at=timezone.now())
    body = client.get("/healthz").json()["checks"]["worker"]
    assert body["state"] == "busy" and body["jobs"] == {**body["jobs"], "running": 1, "stale": 0}
