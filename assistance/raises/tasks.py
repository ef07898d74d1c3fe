"""Thin tasks: take ids, call the service. Safe to run twice (the service is idempotent)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from assistance.raises import services
from dalian_minzheng.audit.context import audit_context
from dalian_minzheng.core import jobs

log = logging.getLogger(__name__)


def _give_up(key: str, message: str) -> None:
    services.raise_record_failure(raise_id=int(key), message=message)


jobs.register("raise", give_up=_give_up)


@shared_task(name="raises.apply_raise", bind=True, acks_late=True)
@jobs.tracked("raise", task="raises.apply_raise", key=lambda raise_id, user_id=None: raise_id, bind=True)
def apply_raise(self, raise_id: int, user_id: int | None = None) -> dict:
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    with audit_context(task="raises.apply_raise", task_id=self.request.id, user_id=user_id, raise_id=raise_id):
        try:
            result = services.raise_apply(raise_id=raise_id, acting_user=user, task_id=self.request.id or "")
        except ValidationError as exc:
            message = " ".join(exc.messages)
            log.warning("raise %s not applied: %s", raise_id, message)
            services.raise_record_failure(raise_id=raise_id, message=message)
            return {"raise_id": raise_id, "applied": False, "error": message}
    return {
        "raise_id": raise_id,
        "applied": True,
        "already_applied": result.already_applied,
        "cases_changed": result.cases_changed,
    }


@shared_task(name="raises.apply_due_raises", bind=True, acks_late=True)
def apply_due_raises(self) -> list[int]:
    """Daily (django-celery-beat): apply every approved raise whose effective date has come, oldest first."""
    applied = []
    for raise_id in services.due_raise_ids():
        apply_raise.apply(args=(raise_id,), task_id=f"{self.request.id}-{raise_id}")  # in this worker, in order
        applied.append(raise_id)
    return applied
