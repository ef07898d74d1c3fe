"""The Celery application. Configuration lives in settings.py under the CELERY_ prefix."""

import os

from celery import Celery, Task
from celery.signals import worker_init
from django.db import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dalian_minzheng.settings")


class PortalTask(Task):
    """Every task: one that meets a database restart (connection refused or cut) is retried with backoff instead of
    failing, so the queued work survives a PostgreSQL restart (tasks are idempotent; ~8 minutes of retries).
    tests/foundation/test_recovery.py restarts PostgreSQL under a queued task."""

    autoretry_for = (InterfaceError, OperationalError)
    max_retries = 10
    retry_backoff = 1
    retry_backoff_max = 60
    retry_jitter = False


app = Celery("dalian_minzheng", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _mark_worker(**_kwargs) -> None:
    # Before the pool forks, so every pool process knows it is a worker: its tracked jobs send heartbeats.
    os.environ["DALIAN_MINZHENG_IN_WORKER"] = "1"  # core.jobs.IN_WORKER_ENV (not imported: Django is not set up yet)
