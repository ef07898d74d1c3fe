"""One decorator for every domain model whose rows the audit trail must follow.

pghistory installs PostgreSQL triggers, so inserts, updates and deletes are captured even when they come from
set-based SQL or a Celery task, not only from `save()`.

Row-level triggers (the default) run one PL/pgSQL call per changed row, and pgtrigger's "ignore" check in it opens
a subtransaction every time: on a 100,000-row import into the people tables that was ~3 s of PostgreSQL time per
table, more than the inserts themselves. Models written in bulk use `@audited(statement_level=True)`: one trigger
call per statement writes every event row from the statement's transition table (`INSERT … SELECT FROM
new_values`), with the same columns, label, context and condition ("update" only when a tracked column changed),
so a set-based writer needs no audit code of its own. (The one writer that switches every trigger off for a
statement writes the same rows itself: audit/bulk.py.)
"""

import hashlib

import pghistory
import pgtrigger
from django.db import models


def no_truncate() -> pgtrigger.Trigger:
    """BEFORE TRUNCATE on an event table: pghistory's append-only trigger stops UPDATE and DELETE only, and TRUNCATE
    fires no row trigger. (pgtrigger.Protect has no statement-level TRUNCATE; the runtime database role has no
    TRUNCATE privilege either: core/db_roles.py.)"""
    return pgtrigger.Trigger(
        name="no_truncate",
        when=pgtrigger.Before,
        operation=pgtrigger.Truncate,
        level=pgtrigger.Statement,
        func="RAISE EXCEPTION 'pgtrigger: Cannot truncate % table', TG_TABLE_NAME;",
    )


def audited(model=None, *, statement_level: bool = False, exclude: list[str] | None = None):
    level = pgtrigger.Statement if statement_level else None
    trackers = (
        pghistory.InsertEvent(level=level),
        pghistory.UpdateEvent(level=level),
        pghistory.DeleteEvent(level=level),
    )

    def track(model):
        return pghistory.track(
            *trackers, exclude=exclude, meta={"indexes": _person_column_indexes(model), "triggers": [no_truncate()]}
        )(model)

    return track if model is None else track(model)


def _person_column_indexes(model) -> list[models.Index]:
    """Event tables index only pgh_obj and pgh_context (settings.PGHISTORY_*_FIELD), except the columns that point at
    a person: the auditor's search "every event of this person" (audit/selectors.py) filters on them."""
    indexes = []
    for field in model._meta.local_fields:
        target = getattr(field.remote_field, "model", None) if field.is_relation else None
        label = target if isinstance(target, str) else getattr(getattr(target, "_meta", None), "label", None)
        if label in ("people.Person", "Person"):
            digest = hashlib.sha1(f"{model._meta.label}.{field.name}".encode()).hexdigest()[:6]
            indexes.append(models.Index(fields=[field.name], name=f"ev_{model._meta.model_name[:14]}_p_{digest}"))
    return indexes


def statement_update_trigger_functions() -> list[str]:
    """Names of the functions behind the statement-level UPDATE triggers of audited models."""
    from django.apps import apps

    return [
        trigger.get_pgid(model)
        for model in apps.get_models()
        for trigger in getattr(model._meta, "triggers", [])
        if trigger.level == pgtrigger.Statement and str(trigger.operation) == "UPDATE"
    ]


def plan_statement_triggers_for_any_size(using: str = "default") -> None:
    """Make the statement-level UPDATE triggers' join of old and new rows safe at every statement size.

    PL/pgSQL plans a trigger's query once per connection, with the transition tables' size of that first call.
    After a one-row `save()` the join of old and new rows is planned as a nested loop, and the same connection's
    next set-based UPDATE (a 100,000-row import, a raise) then compares every row with every row: 46 s for 10,000
    rows here instead of 0.3 s. With nested loops off inside these functions the join is a hash join at any size;
    JIT off, because the disabled nested loop's cost (the one-row cross join with the context) would otherwise
    trigger a 150 ms JIT compilation on every single-row update. CREATE OR REPLACE FUNCTION (pgtrigger's
    migrations) drops these settings, so this runs after every migrate (audit.apps)."""
    from django.db import connections

    with connections[using].cursor() as cursor:
        for function in statement_update_trigger_functions():
            cursor.execute("SELECT 1 FROM pg_proc WHERE proname = %s", [function])
            if cursor.fetchone():
                cursor.execute(f'ALTER FUNCTION "{function}"() SET enable_nestloop = off SET jit = off')
