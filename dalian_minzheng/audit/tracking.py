"""One decorator for every domain model whose rows the audit trail must follow.

pghistory installs PostgreSQL triggers, so inserts, updates and deletes are captured even when they come from
set-based SQL or a Celery task, not only from `save()`.

Row-level triggers (the default) run one PL/pgSQL call per changed row, and pgtrigger's "ignore" check in it opens
a subtransaction every time: on a 100,000-row import into the people tables that was ~3 s of PostgreSQL time per
table, more than the inserts themselves. Models written in bulk use `@audited(statement_level=True)`: one trigger
call per statement writes every event row from the statement's transition table (`INSERT … SELECT FROM
new_values`), with the same columns, label, context and condition ("update" only when a tracked column changed),
so a set-based writer needs no audit code of its own.
"""

import pghistory
import pgtrigger


def audited(model=None, *, statement_level: bool = False):
    level = pgtrigger.Statement if statement_level else None
    tracker = pghistory.track(
        pghistory.InsertEvent(level=level),
        pghistory.UpdateEvent(level=level),
        pghistory.DeleteEvent(level=level),
    )
    if model is None:
        return tracker
    return tracker(model)


class NotIgnored(pgtrigger.Condition):
    """WHEN condition of a row trigger: true unless `pgtrigger.ignore` names the trigger (optionally AND another
    condition). pgtrigger checks its ignore list inside the trigger function, i.e. after PostgreSQL has called it
    for the row; that check opens a subtransaction and cost 6-10 µs a row, 1.3 s for the 67,000 cases of a raise
    whose events the set-based statement writes itself. In the WHEN clause the ignored trigger is never called (for
    AFTER triggers the clause is evaluated when the row is queued). The same ignore switch (`pgtrigger.ignore(…)` or
    `set_config('pgtrigger.ignore', …, true)`) works either way."""

    def __init__(self, trigger_name: str, condition: pgtrigger.Condition | None = None):
        self.trigger_name = trigger_name
        self.condition = condition

    def resolve(self, model) -> str:
        trigger = next(t for t in model._meta.triggers if t.name == self.trigger_name)
        ignored = "COALESCE(NULLIF(current_setting('pgtrigger.ignore', true), ''), '{}')::text[]"
        own = f"NOT ('{trigger.get_pgid(model)}' = ANY({ignored}))"
        return f"({own})" if self.condition is None else f"(({self.condition.resolve(model)}) AND {own})"


def audited_bulk_written(model):
    """`@audited` for models whose set-based writers write their statement's audit events themselves (in the same
    statement, see assistance/raises/recompute.py) and switch the row triggers off for it with pgtrigger.ignore:
    the switch is read in the triggers' WHEN clause (`NotIgnored`), so those rows cost no trigger call at all."""
    return pghistory.track(
        pghistory.InsertEvent(condition=NotIgnored("insert_insert")),
        pghistory.UpdateEvent(condition=NotIgnored("update_update", pgtrigger.AnyChange())),
        pghistory.DeleteEvent(condition=NotIgnored("delete_delete")),
    )(model)
