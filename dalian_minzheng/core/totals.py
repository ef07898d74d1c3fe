"""Row counts and money sums of every table: what a backup restored elsewhere must reproduce exactly.

`manage.py db_totals` prints them as JSON; README "Backup and restore" runs it before pg_dump and after pg_restore
and compares the two (tests/foundation/test_backup_restore.py does the round trip).
"""

from __future__ import annotations


def database_totals(cursor) -> dict[str, dict]:
    """{table: {"rows": n, column: sum, ...}} for every table of the public schema; sums of the numeric columns
    (the amounts, all `numeric`), as strings so that no float rounding hides a difference."""
    cursor.execute(
        """SELECT t.table_name, array_remove(array_agg(c.column_name::text ORDER BY c.column_name), NULL)
           FROM information_schema.tables t
           LEFT JOIN information_schema.columns c ON c.table_schema = t.table_schema
                AND c.table_name = t.table_name AND c.data_type = 'numeric'
           WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'
             AND t.table_name NOT LIKE 'spreadsheets_stage_%%'
           GROUP BY t.table_name ORDER BY t.table_name"""
    )
    totals = {}
    for table, numeric in cursor.fetchall():
        sums = "".join(f', COALESCE(SUM("{c}"), 0)::text' for c in numeric)
        cursor.execute(f'SELECT count(*){sums} FROM "{table}"')
        row = cursor.fetchone()
        totals[table] = {"rows": row[0], **dict(zip(numeric, row[1:], strict=True))}
    return totals
