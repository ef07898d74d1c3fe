"""Reference data of the raises app: the daily schedule that applies approved raises on their effective date."""

from __future__ import annotations

from django_celery_beat.models import CrontabSchedule, PeriodicTask

SCHEDULE_NAME = "raises: apply approved raises whose effective date has come"


def load() -> str:
    """Idempotent: creates the periodic task once; an admin may change its time or disable it afterwards."""
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="0", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    task, created = PeriodicTask.objects.get_or_create(
        name=SCHEDULE_NAME,
        defaults={"task": "raises.apply_due_raises", "crontab": schedule, "enabled": True},
    )
    return "schedule created" if created else "schedule present"
