"""The database roles: an owner that runs the migrations and owns every table, and the runtime role the portal, the
workers and beat connect as.

The runtime role is no superuser, owns none of the portal's tables (so it can neither ALTER, DROP nor DISABLE
TRIGGER them), has no TRUNCATE anywhere and only SELECT and INSERT on the event tables (pghistory's and the access
events): the audit trail is append-only even for the application. Not being a superuser, it cannot SET
session_replication_role either, so the raise's apply runs with its statement-level audit triggers
(assistance/raises/recompute.py, ROW_TRIGGERS_OFF; BENCHMARKS.md "database roles" measures both paths).

It may CREATE in the public schema: the import engine's unlogged stage tables (spreadsheets/engine.py) are created
and dropped by the worker; a table it creates is its own and touches nothing else.

`setup` runs as the owner (bin/migrate: `manage.py setup_db_roles` after `migrate`) and is idempotent: roles are
cluster-wide, created once (CREATE ROLE inside a DO block that tolerates a concurrent creation), grants are per
database and re-applied on every run, and default privileges cover the tables a later migration creates before
the next run. No password lives in the repository: DB_RUNTIME_PASSWORD from the environment sets it (production);
without it the role has none (local trust authentication).
"""

from __future__ import annotations

import re

from django.apps import apps
from django.db import connections, transaction

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def event_tables() -> list[str]:
    """Every append-only table: the pghistory event tables and the access events."""
    import pghistory.models

    from dalian_minzheng.audit.models import AccessEvent

    models = [
        m for m in apps.get_models() if issubclass(m, pghistory.models.Event) and m._meta.managed and not m._meta.proxy
    ]
    return sorted({m._meta.db_table for m in models} | {AccessEvent._meta.db_table})


def _check_name(name: str) -> str:
    if not ROLE_NAME.match(name):
        raise ValueError(f"database role name {name!r}: lower-case letters, digits and _ only")
    return name


def setup(*, runtime_role: str, password: str | None = None, using: str = "default") -> dict:
    """Create the runtime role (once) and (re)grant it exactly what the portal needs in this database."""
    connection = connections[using]
    runtime = _check_name(runtime_role)
    events = event_tables()
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database()")
        owner, database = cursor.fetchone()
        if owner == runtime:
            raise ValueError(f"setup_db_roles runs as the owner role, not as the runtime role {runtime!r}")
        # Attributes re-stated on every run: a runtime role somebody made a superuser is put right (or, if the
        # owner may not do that, the run fails loudly instead of leaving it so).
        attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
        cursor.execute(
            f"""DO $$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{runtime}') THEN
                    CREATE ROLE {runtime} {attributes};
                END IF;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- created meanwhile by another run
            END $$"""
        )
        cursor.execute(
            "SELECT rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls OR NOT rolcanlogin "
            "FROM pg_roles WHERE rolname = %s",
            [runtime],
        )
        if cursor.fetchone()[0]:
            cursor.execute(f"ALTER ROLE {runtime} {attributes}")
        if password:
            cursor.execute("SELECT quote_literal(%s)", [password])
            cursor.execute(f"ALTER ROLE {runtime} PASSWORD {cursor.fetchone()[0]}")
        db = connection.ops.quote_name(database)
        cursor.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {runtime}")
        cursor.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {runtime}")
        # Start from nothing, so a privilege granted by hand (TRUNCATE, TRIGGER, UPDATE on events) goes too.
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {runtime}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {runtime}")
        for table in events + ["django_migrations"]:
            cursor.execute(f"REVOKE UPDATE, DELETE ON {connection.ops.quote_name(table)} FROM {runtime}")
        cursor.execute(f"REVOKE INSERT ON django_migrations FROM {runtime}")
        cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {runtime}")
        # Tables and sequences a later migration creates, until the next run narrows the event tables again
        # (bin/migrate runs this right after every migrate).
        owner_q = connection.ops.quote_name(owner)
        cursor.execute(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner_q} IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {runtime}"
        )
        cursor.execute(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner_q} IN SCHEMA public "
            f"GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {runtime}"
        )
    return {"owner": owner, "runtime": runtime, "database": database, "event_tables": len(events)}
