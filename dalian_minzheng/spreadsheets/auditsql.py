"""Audit events for set-based writes into tables with row-level triggers, written set-based.

The audit trail (django-pghistory) is kept by triggers; row-level ones cost one PL/pgSQL call, one context upsert
and one event insert per row (measured 0.3-1 ms a row, see BENCHMARKS.md). A bulk writer may run with exactly those
triggers ignored (`pgtrigger.ignore`, for this transaction's statements only; every other writer keeps them) and
write the very same event rows itself, in the same statement, through a writable CTE:

    WITH changed AS (INSERT ... RETURNING *) INSERT INTO <event table> (...) SELECT ... FROM changed

The event columns come from the pghistory event model, so a field added to a model is followed automatically.
The spreadsheet import no longer needs this: the people tables it writes have statement-level triggers
(`audit/tracking.py`), which write the events from the statement's transition table themselves.
"""

from __future__ import annotations

import contextlib

import pghistory.models
import pgtrigger
from django.apps import apps
from django.db import models

TRACKED_OPERATIONS = ("insert_insert", "update_update")


def event_model(model: type[models.Model]) -> type[models.Model]:
    for candidate in apps.get_models():
        if issubclass(candidate, pghistory.models.Event) and getattr(candidate, "pgh_tracked_model", None) is model:
            return candidate
    raise LookupError(f"{model._meta.label} is not tracked by pghistory")


def tracked_columns(model: type[models.Model]) -> list[str]:
    return [f.column for f in event_model(model)._meta.concrete_fields if not f.name.startswith("pgh_")]


def with_events(model: type[models.Model], label: str, dml: str, alias: str | None = None) -> str:
    """Wrap an INSERT or UPDATE (written without RETURNING) so it also writes one `label` event per changed row.
    `alias` is the target's alias in an UPDATE ... FROM (its columns must be qualified there)."""
    event = event_model(model)
    columns = tracked_columns(model)
    prefix = f"{alias}." if alias else ""
    returning = ", ".join(f"{prefix}{c}" for c in columns)
    column_list = ", ".join(columns)
    return f"""WITH changed AS ({dml} RETURNING {returning})
        INSERT INTO {event._meta.db_table} ({column_list}, pgh_created_at, pgh_label, pgh_obj_id, pgh_context_id)
        SELECT {column_list}, now(), '{label}', {model._meta.pk.column}, (SELECT _pgh_attach_context())
        FROM changed"""


@contextlib.contextmanager
def row_triggers_ignored(*tracked: type[models.Model]):
    """Ignore the pghistory insert/update triggers of these models for statements run inside the block."""
    uris = [f"{model._meta.label}:{name}" for model in tracked for name in TRACKED_OPERATIONS]
    if not uris:
        yield
        return
    with pgtrigger.ignore(*uris):
        yield
