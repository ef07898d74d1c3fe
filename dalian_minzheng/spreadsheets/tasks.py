"""Thin Celery tasks: they take a job id and call the engine, which is idempotent (see engine.py). Each runs with a
heartbeat (core/jobs.py), so a job whose worker died is re-queued by beat and finishes by itself."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import translation

from dalian_minzheng.core import jobs
from dalian_minzheng.spreadsheets import engine, exports

log = logging.getLogger(__name__)


def _give_up_import(key: str, message: str) -> None:
    engine.fail_job(int(key), message)


def _give_up_export(key: str, message: str) -> None:
    from dalian_minzheng.spreadsheets.models import ExportJob, ExportStatus

    ExportJob.objects.filter(pk=int(key)).exclude(status=ExportStatus.DONE).update(
        status=ExportStatus.FAILED, error_message=message
    )


# One kind for both stages of an import: they never run at once for a job (the heartbeat's lock), and the row
# records which task to send again.
jobs.register("import", give_up=_give_up_import)
jobs.register("export", give_up=_give_up_export)


@shared_task(name="spreadsheets.validate_import")
@jobs.tracked("import", task="spreadsheets.validate_import", key=lambda job_id: job_id)
def validate_import(job_id: int) -> None:
    with translation.override("zh-hans"):
        try:
            engine.validate_job(job_id)
        except Exception:
            log.exception("validation of import job %s failed", job_id)
            engine.fail_job(job_id, translation.gettext("The check stopped with an internal error; try again."))
            raise


@shared_task(name="spreadsheets.commit_import")
@jobs.tracked("import", task="spreadsheets.commit_import", key=lambda job_id: job_id)
def commit_import(job_id: int) -> None:
    with translation.override("zh-hans"):
        try:
            engine.commit_job(job_id)
        except Exception:
            # The transaction rolled back: nothing was written and the job stays "importing", so it can be retried.
            log.exception("commit of import job %s failed", job_id)
            engine.note_commit_failure(
                job_id, translation.gettext("The import stopped before finishing; nothing was written. Retry it.")
            )
            raise


@shared_task(name="spreadsheets.run_export")
@jobs.tracked("export", task="spreadsheets.run_export", key=lambda job_id: job_id)
def run_export(job_id: int) -> None:
    with translation.override("zh-hans"):
        exports.run_export_job(job_id)
