"""Thin, idempotent Celery tasks: they take ids and dates, and call a service inside a pghistory context."""

from __future__ import annotations

import datetime as dt

import pghistory
from celery import shared_task

from assistance import services
from dalian_minzheng.core import jobs


def _give_up_roster(key: str, message: str) -> None:
    from assistance.models import PaymentRoster, RosterStatus

    month, district = key.split(":")
    PaymentRoster.objects.filter(month=month, district_id=district).exclude(status=RosterStatus.READY).update(
        status=RosterStatus.FAILED
    )


def _roster_payments_inserted(*, roster) -> None:
    # Inside the build's transaction, after the payments are inserted: the stage a test kills a worker at.
    jobs.stage("payments")


jobs.register("roster", give_up=_give_up_roster)
services.register_roster_hook(_roster_payments_inserted)


@shared_task(name="assistance.build_roster")
@jobs.tracked(
    "roster", task="assistance.build_roster", key=lambda month, district_code, user_id=None: f"{month}:{district_code}"
)
def build_roster(month: str, district_code: str, user_id: int | None = None) -> dict:
    """(Re)build one district's payment roster for a month; re-running gives the same roster."""
    month_date = dt.date.fromisoformat(month)
    task_id = build_roster.request.id or ""
    with pghistory.context(task="assistance.build_roster", task_id=task_id, user=user_id):
        roster = services.build_roster(month=month_date, district_code=district_code)
    return {"roster": roster.pk, "cases": roster.case_count, "total": str(roster.total_amount)}


@shared_task(name="assistance.build_all_rosters")
def build_all_rosters(month: str | None = None, user_id: int | None = None) -> list[dict]:
    """Every district's roster for a month (default: next month), one transaction per district."""
    if month is None:
        today = dt.date.today()
        month = services.add_months(today.replace(day=1), 1).isoformat()
    return [build_roster(month, code, user_id) for code in services.district_codes()]


@shared_task(name="assistance.open_due_reviews")
def open_due_reviews(on: str | None = None) -> int:
    """Daily: open a scheduled review for every case whose periodic review is due."""
    day = dt.date.fromisoformat(on) if on else dt.date.today()
    task_id = open_due_reviews.request.id or ""
    with pghistory.context(task="assistance.open_due_reviews", task_id=task_id):
        return services.reviews_open_due(on=day)
