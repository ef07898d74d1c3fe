"""Small database helpers shared by the apps."""

from __future__ import annotations

from django.db import connection


def analyze(*models) -> None:
    """Give the planner true statistics for tables just filled.

    A table analysed while empty keeps `reltuples = 0` until autovacuum looks again, and the planner then takes it
    for one row: four joins to the divisions in an admin changelist became nested loops running for minutes. ANALYZE
    runs inside a transaction and counts that transaction's own rows, so loaders call it for what they filled — at
    every start (`load_reference_data`) and in every test that loads reference data. Statistics are transactional:
    a test's ANALYZE goes away with its rollback. Only a table's owner may ANALYZE it, and the runtime role owns
    nothing (core/db_roles.py): portal_analyze() runs it with the owner's rights (core/migrations/0002).
    """
    with connection.cursor() as cursor:
        for model in models:
            _analyze(cursor, model._meta.db_table)


def _analyze(cursor, table: str) -> None:
    cursor.execute("SELECT portal_analyze(%s::regclass)", [connection.ops.quote_name(table)])


def analyze_if_grown(model, added_rows: int) -> bool:
    """ANALYZE a table a bulk write just grew by a good part of what the planner believes it holds.

    Autovacuum would do the same within a minute or so (50 rows + 10 %), but the pages right after an import or a
    raise query what it wrote: they must not meet the old estimate (an empty table taken for one row). Small writes to
    a large table skip it: a sample of 30,000 rows is not free on a million-row table. Returns whether it ran."""
    if added_rows <= 0:
        return False
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = %s::regclass", [table])
        row = cursor.fetchone()
        believed = float(row[0]) if row else 0.0
        if added_rows < 0.1 * believed:
            return False
        _analyze(cursor, table)
    return True
