"""Thin Celery tasks: they take ids and call a service. A run is resumable and idempotent, so the same task
delivered twice (acks_late after a crash, or a manual resume) finishes the same work once."""

from __future__ import annotations

from celery import shared_task

from dalian_minzheng.audit.context import audit_context
from dalian_minzheng.core import jobs


def _give_up(key: str, message: str) -> None:
    from assistance.checks.models import CheckRun, RunStatus

    CheckRun.objects.filter(pk=int(key)).exclude(status=RunStatus.DONE).update(status=RunStatus.FAILED, error=message)


jobs.register("check", give_up=_give_up)


@shared_task(bind=True, name="checks.execute_run")
@jobs.tracked("check", task="checks.execute_run", key=lambda run_id: run_id, bind=True)
def execute_run(self, run_id: int) -> str:
    from assistance.checks import services
    from assistance.checks.models import CheckRun

    user_id = CheckRun.objects.filter(pk=run_id).values_list("requested_by_id", flat=True).first()
    CheckRun.objects.filter(pk=run_id).update(celery_task_id=self.request.id or "")
    with audit_context(task=self.name, task_id=self.request.id, user_id=user_id, check_run=run_id):
        run = services.run_execute(run_id=run_id)
    return run.status if run is not None else "busy"


@shared_task(bind=True, name="checks.recheck_active_cases")
def recheck_active_cases(self) -> int:
    """The nightly schedule (django-celery-beat, editable by an admin) re-checks every active case."""
    from assistance.checks import services

    with audit_context(task=self.name, task_id=self.request.id):
        run = services.recheck_active_cases()
    return run.pk


@shared_task(bind=True, name="checks.resume_stalled_runs")
def resume_stalled_runs(self) -> int:
    from assistance.checks import services

    with audit_context(task=self.name, task_id=self.request.id):
        return services.resume_stalled_runs()
