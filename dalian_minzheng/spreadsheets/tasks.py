"""Thin Celery tasks: they take a job id and call the engine, which is idempotent (see engine.py)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import translation

from dalian_minzheng.spreadsheets import engine, exports

log = logging.getLogger(__name__)


@shared_task(name="spreadsheets.validate_import")
def validate_import(job_id: int) -> None:
    with translation.override("zh-hans"):
        try:
            engine.validate_job(job_id)
        except Exception:
            log.exception("validation of import job %s failed", job_id)
            engine.fail_job(job_id, translation.gettext("The check stopped with an internal error; try again."))
            raise


@shared_task(name="spreadsheets.commit_import")
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
def run_export(job_id: int) -> None:
    with translation.override("zh-hans"):
        exports.run_export_job(job_id)
