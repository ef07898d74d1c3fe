"""The runtime database role (issue 13, item 2): logged in as it, each attack on the audit trail is refused, and the
portal's normal work (a case, a raise applied set-based) still goes through.

The suite itself runs as the superuser (the fast flush needs replica mode); the role setup is run on the test
database once for this module, and the attacks use a second, real login as the runtime role.
"""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings
from django.db import connection, transaction

from dalian_minzheng.core import db_roles

EVENT = "people_personevent"
ACCESS = "audit_accessevent"


@pytest.fixture(scope="module")
def runtime_role(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        db_roles.setup(runtime_role=settings.DB_RUNTIME_ROLE)
        db_roles.setup(runtime_role=settings.DB_RUNTIME_ROLE)  # idempotent
    return settings.DB_RUNTIME_ROLE


@pytest.fixture
def runtime(runtime_role):
    """A second connection to the test database, logged in as the runtime role."""
    s = connection.settings_dict
    conn = psycopg.connect(
        dbname=s["NAME"], user=runtime_role, host=s["HOST"] or None, port=s["PORT"] or None, autocommit=True
    )
    yield conn
    conn.close()


def _refused(conn, sql: str) -> str:
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
        with conn.transaction():
            conn.execute(sql)
    return str(refused.value)


def test_the_runtime_role_is_not_privileged(runtime):
    row = runtime.execute(
        "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles "
        "WHERE rolname = current_user"
    ).fetchone()
    assert row == (settings.DB_RUNTIME_ROLE, False, False, False, False)
    owned = runtime.execute(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
    ).fetchone()[0]
    assert owned == 0
    truncatable = runtime.execute(
        "SELECT array_agg(tablename) FROM pg_tables WHERE schemaname = 'public' "
        "AND (has_table_privilege(current_user, format('%I.%I', schemaname, tablename), 'TRUNCATE') "
        "OR has_table_privilege(current_user, format('%I.%I', schemaname, tablename), 'TRIGGER') "
        "OR has_table_privilege(current_user, format('%I.%I', schemaname, tablename), 'REFERENCES'))"
    ).fetchone()[0]
    assert truncatable is None
    events = db_roles.event_tables()
    assert EVENT in events and ACCESS in events and "assistance_caseevent" in events
    writable_events = runtime.execute(
        "SELECT array_agg(t) FROM unnest(%s::text[]) AS t WHERE has_table_privilege(current_user, t, 'UPDATE') "
        "OR has_table_privilege(current_user, t, 'DELETE') OR NOT has_table_privilege(current_user, t, 'INSERT') "
        "OR NOT has_table_privilege(current_user, t, 'SELECT')",
        [events],
    ).fetchone()[0]
    assert writable_events is None


def test_every_attack_on_the_audit_trail_is_refused(runtime):
    assert "permission denied" in _refused(runtime, f"TRUNCATE {EVENT}")
    assert "permission denied" in _refused(runtime, f"TRUNCATE {ACCESS}")
    assert "permission denied" in _refused(runtime, "TRUNCATE assistance_case CASCADE")
    assert "session_replication_role" in _refused(runtime, "SET session_replication_role = replica")
    assert "session_replication_role" in _refused(runtime, "SET LOCAL session_replication_role = replica")
    assert "permission denied" in _refused(runtime, f"UPDATE {EVENT} SET id_number = 'x'")
    assert "permission denied" in _refused(runtime, f"DELETE FROM {EVENT}")
    assert "permission denied" in _refused(runtime, f"UPDATE {ACCESS} SET detail = '{{}}'")
    assert "permission denied" in _refused(runtime, f"DELETE FROM {ACCESS}")
    assert "must be owner" in _refused(runtime, f"ALTER TABLE {EVENT} DISABLE TRIGGER ALL")
    assert "must be owner" in _refused(runtime, f"ALTER TABLE {ACCESS} DISABLE TRIGGER USER")
    assert "must be owner" in _refused(runtime, "ALTER TABLE assistance_case DISABLE TRIGGER ALL")
    assert "must be owner" in _refused(runtime, "ALTER TABLE assistance_case ADD COLUMN x integer")
    assert "must be owner" in _refused(runtime, f"DROP TABLE {EVENT}")
    assert "must be owner" in _refused(runtime, "DROP TABLE assistance_case CASCADE")
    assert "must be owner" in _refused(runtime, "DROP FUNCTION _pgh_attach_context()")
    assert "permission denied" in _refused(runtime, "SET ROLE postgres")
    assert "permission denied" in _refused(runtime, "DELETE FROM django_migrations")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # CREATEROLE is needed
        runtime.execute("CREATE ROLE intruder SUPERUSER")


def test_the_runtime_role_may_append_and_read_events(runtime):
    with runtime.transaction():
        runtime.execute(
            f"INSERT INTO {ACCESS} (kind, at, object_type, object_id, detail) "
            "VALUES ('export', now(), 'test', '1', '{}')"
        )
        assert runtime.execute(f"SELECT count(*) FROM {ACCESS} WHERE object_type = 'test'").fetchone()[0] == 1
        raise psycopg.Rollback()  # leaves nothing behind


@pytest.mark.django_db
def test_even_the_owner_cannot_truncate_an_event_table():
    """The BEFORE TRUNCATE trigger: the one statement the append-only row triggers never see."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(t) FROM unnest(%s::text[]) AS t WHERE NOT EXISTS (SELECT FROM pg_trigger "
            "WHERE tgrelid = t::regclass AND tgname LIKE 'pgtrigger_no_truncate_%%' AND tgenabled = 'O')",
            [db_roles.event_tables()],
        )
        assert cursor.fetchone()[0] is None
        for table in (EVENT, ACCESS):
            with pytest.raises(Exception, match="Cannot truncate"), transaction.atomic():
                cursor.execute(f"TRUNCATE {table}")


@pytest.mark.django_db
def test_the_runtime_role_does_the_normal_work(runtime_role, city_admin):
    """A case entered and a raise applied as the runtime role: the set-based apply runs with its statement-level
    audit triggers (no replica mode) and writes the events."""
    from assistance.models import Case, CaseAmountChange
    from assistance.raises import services
    from assistance.raises.models import RaiseBackPay
    from tests.raises import factories as f
    from tests.raises.test_services import _raise

    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {runtime_role}")  # reverted with the test's transaction
        cursor.execute("SELECT current_user, has_parameter_privilege('session_replication_role', 'SET')")
        assert cursor.fetchone() == (runtime_role, False)
    progs = f.standards()
    f.mixed_cases()
    f.tolerate_outliers()
    assert Case.objects.exists()
    on = f.month_start(-1)
    r = _raise(city_admin, [progs["raise_urban_allowance"]], on=on)
    services.raise_approve(acting_user=city_admin, raise_record=r)
    statements = []
    with connection.execute_wrapper(lambda execute, sql, *args: statements.append(sql) or execute(sql, *args)):
        result = services.raise_apply(raise_id=r.pk, acting_user=city_admin, today=f.month_start(0))
    assert result.cases_changed > 0
    assert not any("session_replication_role = replica" in sql for sql in statements)
    changes = CaseAmountChange.objects.filter(source_ref=f"raise:{r.pk}")
    assert changes.count() == result.cases_changed
    assert CaseAmountChange.pgh_event_model.objects.filter(pgh_obj__in=changes).count() == result.cases_changed
    assert (
        RaiseBackPay.pgh_event_model.objects.filter(raise_record=r).count()
        == RaiseBackPay.objects.filter(raise_record=r).count()
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == runtime_role
        # the apply's ANALYZE (not the owner: through portal_analyze) gave the planner the rows it wrote
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'assistance_caseamountchange'")
        assert cursor.fetchone()[0] >= result.cases_changed


def test_the_runtime_role_analyzes_only_through_portal_analyze(runtime):
    runtime.execute("SELECT portal_analyze('assistance_case')")
    with pytest.raises(psycopg.errors.RaiseException, match="not a table of the portal"):
        runtime.execute("SELECT portal_analyze('pg_authid')")
