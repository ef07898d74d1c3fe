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
