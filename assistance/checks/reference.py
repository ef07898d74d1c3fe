"""Reference catalogue of the cross-department check: 10 departments, 6 categories, 34 data items with their rules.

`load()` inserts what is missing and never overwrites what the city admin has edited since (rules, thresholds and
names are data). It also creates the django-celery-beat schedules (the nightly re-check of all active cases and the
resumption of stalled runs), disabled or enabled as an admin leaves them.
"""

from __future__ import annotations

from django.db import transaction

from assistance.checks.catalogue import CATEGORIES, DEPARTMENTS, ITEMS  # noqa: F401 (re-exported)
from assistance.checks.models import Category, DataItem, Department
from dalian_minzheng.core.db import analyze

RECHECK_TASK_NAME = "核对：在保对象定期复核"
RESUME_TASK_NAME = "核对：恢复中断的核对任务"


@transaction.atomic
def load() -> str:
    departments = {}
    for order, (code, name, description) in enumerate(DEPARTMENTS, start=1):
        departments[code], _created = Department.objects.get_or_create(
            code=code, defaults={"name": name, "description": description, "sort_order": order}
        )
    categories = {}
    for order, (code, name) in enumerate(CATEGORIES, start=1):
        categories[code], _created = Category.objects.get_or_create(
            code=code, defaults={"name": name, "sort_order": order}
        )
    for order, row in enumerate(ITEMS, start=1):
        code, name, dept, cat, unit, rule, threshold, months, outcome, exempt, income, employed, words = row
        DataItem.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "department": departments[dept],
                "category": categories[cat],
                "unit": unit,
                "rule": rule,
                "threshold": threshold,
                "threshold_months": months,
                "outcome_on_hit": outcome,
                "exempt_attribute": exempt,
                "counts_as_income": income,
                "marks_employed": employed,
                "description": words,
                "sort_order": order,
            },
        )
    load_schedules()
    analyze(Department, Category, DataItem)
    return f"{Department.objects.count()} departments, {Category.objects.count()} categories, " + (
        f"{DataItem.objects.count()} items"
    )


def load_schedules() -> None:
    """The periodic tasks an admin edits in django-celery-beat (admin → Periodic tasks); created once."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    nightly, _created = CrontabSchedule.objects.get_or_create(
        minute="30", hour="1", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.get_or_create(
        name=RECHECK_TASK_NAME,
        defaults={"task": "checks.recheck_active_cases", "crontab": nightly, "enabled": True},
    )
    every_ten, _created = IntervalSchedule.objects.get_or_create(every=10, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.get_or_create(
        name=RESUME_TASK_NAME,
        defaults={"task": "checks.resume_stalled_runs", "interval": every_ten, "enabled": True},
    )
