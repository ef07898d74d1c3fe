"""Audit context outside a request: Celery tasks and management commands.

Inside a request, pghistory's HistoryMiddleware attaches the user and URL to every audit row. A Celery task has no
request, so it must say who and what caused its writes:

    from dalian_minzheng.audit.context import audit_context, audited_task

    @shared_task(bind=True)
    @audited_task
    def recompute_case(self, case_id: int, acting_user_id: int | None = None): ...

or, inside any code:

    with audit_context(task="raises.apply", task_id=self.request.id, user_id=acting_user_id, raise_id=raise_id):
        ...  # every insert/update/delete here (ORM or raw SQL) carries this context

The metadata uses the same `user` key as the middleware, so the auditor's search by user finds both.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

import pghistory


@contextmanager
def audit_context(*, task: str, task_id: str | None = None, user_id: int | None = None, **extra) -> Iterator[None]:
    """Attach `task`, `task_id`, `user` (and any extra JSON-able keys) to every audit row written inside."""
    metadata = {"task": task, "task_id": task_id, "user": user_id, **extra}
    with pghistory.context(**{k: v for k, v in metadata.items() if v is not None}):
        yield


def audited_task(func):
    """Decorator for a bound Celery task (`bind=True`, put it under @shared_task): runs the body inside
    `audit_context(task=<task name>, task_id=<request id>, user_id=<acting_user_id or user_id kwarg>)`."""

    @functools.wraps(func)
    def wrapper(self, *args, **kwargs):
        user_id = kwargs.get("acting_user_id", kwargs.get("user_id"))
        with audit_context(task=self.name, task_id=getattr(self.request, "id", None), user_id=user_id):
            return func(self, *args, **kwargs)

    return wrapper
