"""portal_analyze(table): ANALYZE with the owner's rights, for the runtime role.

Only a table's owner may ANALYZE it (PostgreSQL 15 has no MAINTAIN privilege); the runtime role owns none
(core/db_roles.py), and its ANALYZE would be skipped with a warning, leaving the planner an empty-table estimate
(the 44-minute join of issue 11). SECURITY DEFINER, owned by the role that migrates; it analyses only ordinary
tables of the public schema and takes no SQL, only a table name resolved by regclass.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION portal_analyze(target regclass) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (
        SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = target AND n.nspname = 'public' AND c.relkind IN ('r', 'p')
    ) THEN
        RAISE EXCEPTION 'portal_analyze: % is not a table of the portal', target;
    END IF;
    EXECUTE format('ANALYZE %s', target);
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0001_job_heartbeat")]

    operations = [
        migrations.RunSQL(CREATE, "DROP FUNCTION IF EXISTS portal_analyze(regclass)"),
    ]
