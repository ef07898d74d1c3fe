"""The embedded default: PostgreSQL and Redis under a var/ directory, data kept across a stop and a start, and a
Redis that belongs to something else is never taken over. Each case runs in a fresh interpreter, because the
var/ directory is read from PORTAL_VAR_DIR when the module is imported."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(code: str, var_dir: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PORTAL_VAR_DIR": str(var_dir), **env}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_embedded_postgres_and_redis_keep_their_data_across_a_restart(tmp_path):
    # two processes, as two runs of `make run` with `make stop-embedded` in between
    write = """
        import psycopg, redis
        from dalian_minzheng import embedded

        pg, rd = embedded.postgres_url(), embedded.redis_url()
        with psycopg.connect(pg.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (value text)")
            conn.execute("INSERT INTO kept VALUES ('大连')")
        redis.Redis.from_url(rd).set("kept", "民政")
        print("url:", rd)
        print("stopped:", embedded.stop())
    """
    read = """
        import psycopg, redis
        from dalian_minzheng import embedded

        pg, rd = embedded.postgres_url(), embedded.redis_url()
        with psycopg.connect(pg.replace("postgres://", "postgresql://")) as conn:
            print("pg:", conn.execute("SELECT value FROM kept").fetchone()[0])
        print("redis:", redis.Redis.from_url(rd).get("kept").decode())
        print("url:", rd)
        print("stopped:", embedded.stop())
    """
    port = str(_free_port())
    first = _run(write, tmp_path / "var", EMBEDDED_REDIS_PORT=port)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "stopped: ['PostgreSQL" in first.stdout and f"Redis (port {port})" in first.stdout
    second = _run(read, tmp_path / "var", EMBEDDED_REDIS_PORT=port)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "pg: 大连" in second.stdout
    assert "redis: 民政" in second.stdout
    assert f"url: redis://127.0.0.1:{port}/0" in second.stdout
    assert "stopped: ['PostgreSQL" in second.stdout
    assert (tmp_path / "var" / "pgdata" / "PG_VERSION").exists()
    assert (tmp_path / "var" / "redis" / "dump.rdb").exists()


def test_a_redis_of_another_checkout_or_service_is_never_reused(tmp_path):
    # the Redis the tests use belongs to the machine (or to another checkout): its data dir is not ours
    port = urlsplit(settings.REDIS_URL).port or 6379
    code = """
        from dalian_minzheng import embedded
        try:
            embedded.redis_url()
        except embedded.EmbeddedServiceError as exc:
            print("refused:", exc)
    """
    result = _run(code, tmp_path / "var", EMBEDDED_REDIS_PORT=str(port))
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"refused: no free port for the embedded Redis (tried {port}-{port})" in result.stdout
