"""One decorator for every domain model whose rows the audit trail must follow.

pghistory installs PostgreSQL triggers, so inserts, updates and deletes are captured even when they come from
set-based SQL or a Celery task, not only from `save()`.
"""

import pghistory


def audited(model):
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
    )(model)
