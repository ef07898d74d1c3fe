"""Check runs: queueing, the resumable two-phase executor (matching, then hand-off to casework)."""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.checks import engine, selectors
from assistance.checks.models import (
    CheckRun,
    CheckRunSubject,
    RunKind,
    RunStatus,
)
from assistance.checks.services.common import (
    ACTIVE_CASE_STATUSES,
    CASEWORK_ROLES,
    CITY_CODE,
    LOCK_RUN,
    _casework,
)
from assistance.models import CaseStatus, CheckStatus
from dalian_minzheng.accounts.policy import ADMINS, CITY_ADMIN_ROLES
from dalian_minzheng.accounts.scope import require

log = logging.getLogger(__name__)


def _queue(run: CheckRun) -> None:
    from assistance.checks import tasks

    run_id = run.pk
    transaction.on_commit(lambda: tasks.execute_run.delay(run_id))


@transaction.atomic
def check_application(*, acting_user, application, kind: str = RunKind.APPLICATION) -> CheckRun:
    """Queue a check of one application (on demand, or a re-check after a dispute). An on-demand check needs every
    current member's authorisation (授权书); a re-check follows a check that already had them."""
    require(acting_user, roles=CASEWORK_ROLES, division=application.division_id)
    if kind == RunKind.APPLICATION:
        missing = selectors.members_missing_authorisation(application)
        if missing:
            raise ValidationError(
                _("No check runs without every member's authorisation. Missing: %(names)s")
                % {"names": "、".join(p.name for p in missing)},
                code="authorisation",
            )
    run = CheckRun.objects.create(
        kind=kind, division_id=application.division_id, total=1, requested_by=acting_user, chunk_size=1
    )
    CheckRunSubject.objects.create(run=run, application_id=application.pk)
    _casework().application_set_check_status(application_id=application.pk, status=CheckStatus.PENDING)
    _queue(run)
    return run


@transaction.atomic
def recheck_active_cases(*, acting_user=None, chunk_size: int = 2000, division_prefix: str = "") -> CheckRun:
    """A run over the applications of every active case (scheduled nightly, or started by the city admin)."""
    if acting_user is not None:
        require(acting_user, roles=CITY_ADMIN_ROLES)
    run = CheckRun.objects.create(
        kind=RunKind.SCHEDULED, division_id=CITY_CODE, requested_by=acting_user, chunk_size=chunk_size
    )
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO checks_checkrunsubject (run_id, application_id)
            SELECT %s, c.application_id FROM assistance_case c
            WHERE c.status = ANY(%s) AND c.division_id LIKE %s
            ORDER BY c.application_id
            ON CONFLICT DO NOTHING
            """,
            [run.pk, list(ACTIVE_CASE_STATUSES), division_prefix + "%"],
        )
        run.total = cur.rowcount
    run.save(update_fields=["total"])
    _queue(run)
    return run


@transaction.atomic
def run_resume(*, acting_user=None, run: CheckRun) -> CheckRun:
    """Queue a run again (after its worker died): it continues after its cursor."""
    if acting_user is not None:
        require(acting_user, roles=ADMINS, division=run.division_id)
    run = CheckRun.objects.select_for_update().get(pk=run.pk)
    if run.status == RunStatus.DONE:
        raise ValidationError(_("This run has finished."))
    run.status = RunStatus.QUEUED
    run.error = ""
    run.save(update_fields=["status", "error"])
    _queue(run)
    return run


def resume_stalled_runs(*, stale_after: dt.timedelta = dt.timedelta(minutes=15)) -> int:
    """Re-queue runs whose worker stopped sending heartbeats (a crash); the advisory lock keeps one executor."""
    cutoff = timezone.now() - stale_after
    stalled = CheckRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff)
    count = 0
    for run in stalled:
        run_resume(run=run)
        count += 1
    return count


def _pause() -> float:
    return settings.CHECKS_CHUNK_PAUSE_SECONDS  # the throttle between chunks (settings.py)


def run_execute(*, run_id: int) -> CheckRun | None:
    """Work through a run in two resumable phases.

    1. Matching, chunk by chunk: each chunk commits its findings, the applications' summaries, the marks of what
       casework must be told and the run's progress together, so a crash loses at most the chunk in flight.
    2. Hand-off: for each marked application, the new check status (and a review for an active case with new
       findings) through the casework services, clearing the mark in the same transaction.
    A second executor of the same run (a re-delivered task) finds the advisory lock taken and leaves."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_RUN, run_id])
        if not cur.fetchone()[0]:
            log.info("check run %s is being executed elsewhere", run_id)
            return None
    try:
        with transaction.atomic():
            run = CheckRun.objects.select_for_update().get(pk=run_id)
            if run.status == RunStatus.DONE:
                return run
            run.status = RunStatus.RUNNING
            run.started_at = run.started_at or timezone.now()
            run.heartbeat_at = timezone.now()
            run.save(update_fields=["status", "started_at", "heartbeat_at"])
        pause = _pause()
        while True:
            with transaction.atomic():
                run = CheckRun.objects.select_for_update().get(pk=run_id)
                if run.matched_at is None:
                    finished = _match_next_chunk(run)
                else:
                    finished = _handoff_next_chunk(run)
                if finished and run.status == RunStatus.DONE:
                    return run
            if pause:
                time.sleep(pause)
    except Exception as exc:
        log.exception("check run %s failed", run_id)
        CheckRun.objects.filter(pk=run_id).update(status=RunStatus.FAILED, error=str(exc)[:2000])
        raise
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_RUN, run_id])


def _pending_handoff(run: CheckRun):
    from assistance.checks.models import ApplicationCheck

    subjects = CheckRunSubject.objects.filter(run_id=run.pk).values("application_id")
    return ApplicationCheck.objects.exclude(handoff_status="").filter(application_id__in=subjects)


def _match_next_chunk(run: CheckRun) -> bool:
    """Match the next chunk; True when there was none left (matching is then marked finished)."""
    ids = list(
        CheckRunSubject.objects.filter(run_id=run.pk, application_id__gt=run.cursor)
        .order_by("application_id")
        .values_list("application_id", flat=True)[: run.chunk_size]
    )
    if not ids:
        run.matched_at = timezone.now()
        run.handoff_total = _pending_handoff(run).count()
        run.heartbeat_at = run.matched_at
        run.save(update_fields=["matched_at", "handoff_total", "heartbeat_at"])
        return False
    result = engine.check_chunk(run_id=run.pk, application_ids=ids, today=timezone.localdate())
    run.cursor = ids[-1]
    run.done += len(ids)
    run.members_checked += result.members_checked
    run.members_missing_authorisation += result.members_missing
    run.compliant += result.compliant
    run.noncompliant += result.noncompliant
    run.suspect += result.suspect
    run.new_findings += len(result.new_open)
    run.heartbeat_at = timezone.now()
    run.save()
    return False


HANDOFF_CHUNK = 200


def _handoff_next_chunk(run: CheckRun) -> bool:
    """Tell casework about the next marked applications; True (and the run DONE) when none are left."""
    from assistance.models import Case

    casework = _casework()
    pending = list(
        _pending_handoff(run)
        .select_for_update(skip_locked=True)
        .order_by("application_id")
        .values_list("application_id", "handoff_status", "review_run_id")[:HANDOFF_CHUNK]
    )
    if not pending:
        run.status = RunStatus.DONE
        run.finished_at = timezone.now()
        run.heartbeat_at = run.finished_at
        run.save(update_fields=["status", "finished_at", "heartbeat_at"])
        return True
    # set-based: one call per chunk for the statuses and one for the reviews (same effects as the per-row services)
    casework.applications_set_check_status(statuses={app_id: status for app_id, status, _run in pending})
    # applications first, then their cases (the casework lock order); locked so a case cannot stop in between
    cases = dict(
        Case.objects.select_for_update()
        .filter(application_id__in=[p[0] for p in pending if p[2]], status__in=CaseStatus.REVIEWABLE)
        .order_by("pk")
        .values_list("application_id", "id")
    )
    case_reasons = {
        cases[app_id]: _("Cross-department check #%(run)s found new findings to resolve.") % {"run": review_run_id}
        for app_id, _status, review_run_id in pending
        if review_run_id and app_id in cases
    }
    casework.cases_open_reviews(case_reasons=case_reasons)
    reviews = len(case_reasons)
    from assistance.checks.models import ApplicationCheck

    ApplicationCheck.objects.filter(application_id__in=[p[0] for p in pending]).update(
        handoff_status="", review_run=None
    )
    run.handoff_done += len(pending)
    run.reviews_opened += reviews
    run.heartbeat_at = timezone.now()
    run.save(update_fields=["handoff_done", "reviews_opened", "heartbeat_at"])
    return False
