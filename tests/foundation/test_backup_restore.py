"""Backup and restore (issue 13, item 7): pg_dump of the demo data, pg_restore into an empty database, and the same
totals there (every table's row count and money sums) as in the original — the procedure of README "Backup and
restore", with the same tools."""

from __future__ import annotations

import shutil
import subprocess

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from dalian_minzheng.core.totals import database_totals


def _conninfo(dbname: str) -> dict:
    s = connection.settings_dict
    return {k: v for k, v in {"dbname": dbname, "user": s["USER"], "host": s["HOST"], "port": s["PORT"]}.items() if v}


def _args(info: dict) -> list[str]:
    flags = {"dbname": "--dbname", "user": "--username", "host": "--host", "port": "--port"}
    return [f"{flags[k]}={v}" for k, v in info.items()]


def _skip_unless_pg_dump_can_dump_the_server():
    """pg_dump refuses a server newer than itself (the embedded pgserver may be, the machine's pg_dump is 15)."""
    out = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True, check=True).stdout
    tool = int(out.split()[-1].split(".")[0])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        server = int(cursor.fetchone()[0]) // 10000
    if server > tool:
        pytest.skip(f"pg_dump {tool} cannot dump a PostgreSQL {server} server")


@pytest.mark.skipif(not shutil.which("pg_dump") or not shutil.which("pg_restore"), reason="no pg_dump/pg_restore")
@pytest.mark.timeout(300)  # demo data, a dump, a second database restored (~40 s here; more on a busy machine)
@pytest.mark.django_db(transaction=True)
def test_pg_dump_and_pg_restore_give_back_the_same_totals(settings, tmp_path):
    _skip_unless_pg_dump_can_dump_the_server()
    settings.DEMO_DATA = True
    call_command("load_reference_data", verbosity=0)
    call_command("load_demo_data", verbosity=0)
    with connection.cursor() as cursor:
        before = database_totals(cursor)
    assert before["assistance_case"]["rows"] > 0 and before["assistance_caseevent"]["rows"] > 0
    assert any(v != "0" for k, v in before["assistance_case"].items() if k != "rows")  # money is compared

    source = connection.settings_dict["NAME"]
    restored = f"{source}_restore"[:63]
    dump = tmp_path / "portal.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", *_args(_conninfo(source))], check=True)
    admin = psycopg.connect(**_conninfo("postgres"), autocommit=True)
    try:
        admin.execute(f'DROP DATABASE IF EXISTS "{restored}"')
        admin.execute(f'CREATE DATABASE "{restored}"')
        subprocess.run(
            ["pg_restore", "--exit-on-error", "--no-owner", *_args(_conninfo(restored)), str(dump)], check=True
        )
        with psycopg.connect(**_conninfo(restored)) as copy, copy.cursor() as cursor:
            after = database_totals(cursor)
            # the restored audit trail is as protected as the original: its triggers came back with it
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrigger_no_truncate_%%'")
            assert cursor.fetchone()[0] >= 30
        assert after == before
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
        admin.close()
