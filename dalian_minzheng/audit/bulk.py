"""The audit events of a statement that runs with every trigger off, written by that statement itself.

The audit trail is written by pghistory triggers (`tracking.audited`); a set-based writer normally needs no audit code
(statement-level triggers write its events from the transition tables). The one exception is a writer that
switches all triggers off for one statement (`SET LOCAL session_replication_role = replica`, the raise apply in
assistance/raises/services.py, measured there) or a benchmark that loads data with them ignored: it writes the
same event rows itself, in the same statement, so they commit or roll back together. The columns come from the
pghistory event model, as the triggers' do, so a field added to a model is followed; tests/raises compares the
rows with what the triggers write.
"""

from __future__ import annotations

from django.db import models


def tracked_columns(model: type[models.Model]) -> list[str]:
    """The model's columns the event table copies (every concrete field the event model has)."""
    tracked = {f.column for f in model._meta.concrete_fields}
    return [
        f.column
        for f in model.pgh_event_model._meta.concrete_fields
        if not f.name.startswith("pgh_") and f.column in tracked
    ]


def insert_events_sql(model: type[models.Model], *, source: str, label: str, context: str) -> str:
    """INSERT … SELECT writing the event rows pghistory's `label` trigger writes for the rows in `source` (a CTE or
    table with the model's columns as they are after the change); `context` is an SQL expression giving the
    pghistory context id, e.g. `(SELECT id FROM ctx)` or `_pgh_attach_context()`."""
    columns = tracked_columns(model)
    events = model.pgh_event_model._meta.db_table
    column_list = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(f'{source}."{c}"' for c in columns)
    return (
        f'INSERT INTO "{events}" ({column_list}, pgh_created_at, pgh_label, pgh_obj_id, pgh_context_id) '
        f"SELECT {values}, NOW(), '{label}', {source}.\"{model._meta.pk.column}\", {context} FROM {source}"
    )
