"""Thin, idempotent tasks of the social-organisation register: they call a service."""

from __future__ import annotations

from celery import shared_task

from dalian_minzheng.audit.context import audit_context
from social_orgs import services


@shared_task(name="social_orgs.nightly_rules")
def nightly_rules() -> dict[str, int]:
    """The rules that fall due with the date (daily): abnormal-activity entries two years old move to the
    serious-violation list; evaluation grades past their validity end. Both set-based; re-running changes nothing."""
    with audit_context(task="social_orgs.nightly_rules"):
        return {"escalated": services.listings_escalate(), "grades_expired": services.evaluations_expire()}
