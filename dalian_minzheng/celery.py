"""The Celery application. Configuration lives in settings.py under the CELERY_ prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dalian_minzheng.settings")

app = Celery("dalian_minzheng")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
