"""The Celery application. Configuration lives in settings.py under the CELERY_ prefix."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dalian_minzheng.settings")

app = Celery("dalian_minzheng")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _mark_worker(**_kwargs) -> None:
    # Before the pool forks, so every pool process knows it is a worker: its tracked jobs send heartbeats.
    os.environ["DALIAN_MINZHENG_IN_WORKER"] = "1"  # core.jobs.IN_WORKER_ENV (not imported: Django is not set up yet)
