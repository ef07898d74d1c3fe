"""Small database helpers shared by the apps."""

from __future__ import annotations

from django.db import connection


def analyze(*models) -> None:
    """Give the planner true statistics for tables just filled.

    A table analysed while empty keeps `reltuples = 0` until autovacuum looks again, and the planner then takes it
    for one row: four joins to the divisions in an admin changelist became nested loops running for minutes. ANALYZE
    runs inside a transaction and counts that transaction's own rows, so loaders call it for what they filled — at
    every start (`load_reference_data`) and in every test that loads reference data. Statistics are transactional:
    a test's ANALYZE goes away with its rollback. A role that does not own the table gets a warning, not an error.
    """
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
