"""The matching engine on a REAL Celery worker: on-demand check, idempotent re-run, a worker killed mid-run and the
run resumed by a new worker, and the scheduled re-check opening reviews of active cases."""

from __future__ import annotations

import time

import pytest

from assistance.checks import services
from assistance.checks.models import ApplicationCheck, CheckRun, Finding, RunStatus
from assistance.models import Application, Case, CaseReview
from tests.checks.factories import authorise, deliver, make_application, make_case, member_numbers

pytestmark = [pytest.mark.worker]


def wait_for(predicate, timeout=90.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting")


def snapshot():
    """Everything a finding says, without run ids and timestamps."""
    return sorted(
        Finding.objects.values_list(
            "application_id",
            "person_id",
            "item_id",
            "record_id",
            "outcome",
            "value",
            "household_total",
            "limit_applied",
            "income_counted",
            "employed",
            "as_of",
            "resolution",
        )
    )


def build_cases(n: int) -> list[Case]:
    """n active cases; every third household has doubtful or non-compliant records."""
    cases = []
    vehicles, deposits, hukou = [], [], []
    for i in range(n):
        case = make_case("210202001001")
        authorise(case.application)
        head, spouse = member_numbers(case.application)
        hukou += [{"id_number": head, "item": "hukou"}, {"id_number": spouse, "item": "hukou"}]
        if i % 3 == 0:
            vehicles.append({"id_number": head, "item": "vehicle", "value": 1})
        if i % 3 == 1:
            deposits.append({"id_number": spouse, "item": "deposits", "value": 90000})
        cases.append(case)
    deliver("public_security", vehicles + hukou, ref="GA-1")
    deliver("banks", deposits, ref="BK-1")
    return cases


def test_on_demand_check_runs_on_a_worker(catalogue, caseworker, celery_worker_process):
    application = make_application("210202001001", size=2)
    authorise(application)
    head, _spouse = member_numbers(application)
    deliver("real_estate", [{"id_number": head, "item": "nonresidential_property", "value": 1}])
    celery_worker_process()
    run = services.check_application(acting_user=caseworker, application=application)
    assert Application.objects.get(pk=application.pk).check_status == "pending"
    wait_for(lambda: CheckRun.objects.get(pk=run.pk).status == RunStatus.DONE)
    run.refresh_from_db()
    assert run.celery_task_id and run.noncompliant == 1
    finding = Finding.objects.get(application=application)
    assert finding.outcome == "noncompliant" and finding.resolution == "open"
    assert Application.objects.get(pk=application.pk).check_status == "findings_open"


def test_rerun_is_idempotent(catalogue, city_admin, celery_worker_process):
    build_cases(6)
    celery_worker_process()
    first = services.recheck_active_cases(acting_user=city_admin, chunk_size=4)
    wait_for(lambda: CheckRun.objects.get(pk=first.pk).status == RunStatus.DONE)
    before = snapshot()
    stamps = dict(Finding.objects.values_list("pk", "updated_at"))
    assert len(before) == 12 + 2 + 2  # hukou × 12 members, 2 vehicles, 2 deposits
    second = services.recheck_active_cases(acting_user=city_admin, chunk_size=4)
    wait_for(lambda: CheckRun.objects.get(pk=second.pk).status == RunStatus.DONE)
    assert snapshot() == before
    # an identical result is not even rewritten
    assert dict(Finding.objects.values_list("pk", "updated_at")) == stamps
    second.refresh_from_db()
    assert second.new_findings == 0 and second.reviews_opened == 0
    assert (second.noncompliant, second.suspect) == (2, 2)


def test_killed_worker_resumed_gives_identical_results(catalogue, city_admin, celery_worker_process, monkeypatch):
    cases = build_cases(24)
    # a pause between chunks makes the run long enough to kill it in the middle
    monkeypatch.setenv("CHECKS_CHUNK_PAUSE_SECONDS", "0.4")
    worker = celery_worker_process()
    run = services.recheck_active_cases(acting_user=city_admin, chunk_size=1)
    wait_for(lambda: CheckRun.objects.get(pk=run.pk).done >= 4)
    worker.kill()
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING and 4 <= run.done < run.total == 24
    killed_at = run.done
    monkeypatch.setenv("CHECKS_CHUNK_PAUSE_SECONDS", "0")
    celery_worker_process()
    services.run_resume(acting_user=city_admin, run=run)
    wait_for(lambda: CheckRun.objects.get(pk=run.pk).status == RunStatus.DONE)
    run.refresh_from_db()
    assert run.done == 24 and run.done >= killed_at
    resumed = snapshot()
    resumed_counts = (run.compliant, run.noncompliant, run.suspect, run.members_checked)

    # the same data checked from scratch in one uninterrupted run
    Finding.objects.all().delete()
    ApplicationCheck.objects.all().delete()
    fresh = services.recheck_active_cases(acting_user=city_admin, chunk_size=5)
    wait_for(lambda: CheckRun.objects.get(pk=fresh.pk).status == RunStatus.DONE)
    fresh.refresh_from_db()
    assert snapshot() == resumed
    assert (fresh.compliant, fresh.noncompliant, fresh.suspect, fresh.members_checked) == resumed_counts
    assert len(resumed) == 48 + 8 + 8
    # every case with a finding got exactly one open review
    flagged = [c for i, c in enumerate(cases) if i % 3 in (0, 1)]
    assert CaseReview.objects.filter(case__in=flagged).count() == len(flagged)
    assert Case.objects.filter(pk__in=[c.pk for c in flagged], status="under_review").count() == len(flagged)


def test_dispute_rechecks_and_resolution_opens_the_gate(catalogue, caseworker, celery_worker_process):
    application = make_application("210202001001", size=2)
    authorise(application)
    head, spouse = member_numbers(application)
    deliver("public_security", [{"id_number": head, "item": "vehicle", "value": 1}], ref="GA-A")
    deliver("human_resources", [{"id_number": spouse, "item": "wages", "value": 3000}], ref="RS-A")
    celery_worker_process()
    run = services.check_application(acting_user=caseworker, application=application)
    wait_for(lambda: CheckRun.objects.get(pk=run.pk).status == RunStatus.DONE)
    vehicle = Finding.objects.get(item__code="vehicle")
    wages = Finding.objects.get(item__code="wages")

    from django.core.files.base import ContentFile

    services.finding_resolve(
        acting_user=caseworker, finding=wages, kind="explain", note="临时工作已结束，提供解除劳动合同证明"
    )
    assert Application.objects.get(pk=application.pk).check_status == "findings_open"
    # the household disputes the vehicle; the department corrects it (a disabled person's mobility vehicle)
    deliver(
        "public_security",
        [{"id_number": head, "item": "vehicle", "value": 1, "attributes": {"disabled_mobility": True}}],
        ref="GA-B",
    )
    services.finding_resolve(
        acting_user=caseworker,
        finding=vehicle,
        kind="dispute",
        note="残疾人代步车",
        evidence=ContentFile(b"%PDF", name="cert.pdf"),
    )
    recheck = wait_for(lambda: CheckRun.objects.filter(kind="recheck", status=RunStatus.DONE).first())
    assert recheck is not None
    vehicle.refresh_from_db()
    assert vehicle.outcome == "compliant" and vehicle.resolution == "not_required"
    wages.refresh_from_db()
    assert wages.resolution == "explained"  # the same evidence keeps its resolution
    assert Application.objects.get(pk=application.pk).check_status == "clear"


def test_scheduled_task_by_name_rechecks_active_cases(catalogue, celery_worker_process):
    """What django-celery-beat sends at night: the task name in the PeriodicTask made by reference.load()."""
    from django_celery_beat.models import PeriodicTask

    from dalian_minzheng.celery import app

    build_cases(3)
    task_name = PeriodicTask.objects.get(name__contains="定期复核").task
    celery_worker_process()
    app.send_task(task_name)
    run = wait_for(lambda: CheckRun.objects.filter(kind="scheduled", status=RunStatus.DONE).first())
    assert run.total == 3 and run.noncompliant == 1 and run.suspect == 1
    assert CaseReview.objects.count() == 2


def test_stalled_run_is_requeued(catalogue, city_admin, django_capture_on_commit_callbacks):
    import datetime as dt

    from django.utils import timezone

    build_cases(1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.recheck_active_cases(acting_user=city_admin)
    assert len(callbacks) == 1  # queued after commit
    CheckRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, heartbeat_at=timezone.now() - dt.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.resume_stalled_runs() == 1
    assert len(callbacks) == 1
    assert CheckRun.objects.get(pk=run.pk).status == RunStatus.QUEUED
