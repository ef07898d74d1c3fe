"""Recovery (issue 13, item 7): Redis and PostgreSQL restarted under load; the pages come back and no queued work
is lost.

The machine's PostgreSQL and Redis are shared, so this test starts its own: a Redis with an append-only file
(fsync always, as production's AOF keeps the queue; see README "Recovery") and a PostgreSQL cluster (initdb) holding
a copy of the test database (pg_dump | pg_restore), both on free loopback ports in a temporary directory; then the
portal's gunicorn (bin/web) and a Celery worker (bin/worker) against them, with a thread requesting pages all along.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent
PG_BIN = next((d for d in ("/usr/lib/postgresql/15/bin", "/usr/local/bin") if Path(d, "pg_ctl").exists()), None)
REDIS = shutil.which("redis-server")

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not PG_BIN or not REDIS, reason="needs initdb/pg_ctl and redis-server"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"{what}: not within {timeout:g} s")


class Postgres:
    def __init__(self, base: Path):
        self.data, self.port = base / "pgdata", _free_port()
        self.log = base / "postgres.log"
        subprocess.run(
            _as_postgres([f"{PG_BIN}/initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"]),
            check=True, capture_output=True,
        )  # fmt: skip
        # its own port and socket directory, every start (never the machine's 5432)
        self.options = f"-p {self.port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.ctl("start")

    def ctl(self, action: str, *args: str, check: bool = True) -> None:
        if action in ("start", "restart"):
            args = (*args, "-o", self.options, "-l", str(self.log))
        subprocess.run(_as_postgres([f"{PG_BIN}/pg_ctl", "-D", str(self.data), "-w", action, *args]), check=check)

    def url(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"


class Redis:
    def __init__(self, base: Path):
        self.port, self.dir = _free_port(), base
        self.proc = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir), "--save", "",
             "--appendonly", "yes", "--appendfsync", "always"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for(lambda: _port_open(self.port), 20, "redis up")

    def crash(self) -> None:
        self.proc.kill()  # no clean shutdown: only what the AOF has
        self.proc.wait()


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Load(threading.Thread):
    """Requests the login page and /healthz without pause, recording (time, status)."""

    def __init__(self, base_url: str):
        super().__init__(daemon=True)
        self.base_url, self.samples, self.stopped = base_url, [], threading.Event()

    def run(self):
        while not self.stopped.is_set():
            for path in ("/accounts/login/", "/healthz"):
                self.samples.append((time.monotonic(), path, _status(self.base_url + path)))
            time.sleep(0.1)


def _skip_unless_pg_dump_can_dump_the_server():
    """pg_dump refuses a server newer than itself (the embedded pgserver may be, the machine's pg_dump is 15)."""
    out = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True, check=True).stdout
    tool = int(out.split()[-1].split(".")[0])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        server = int(cursor.fetchone()[0]) // 10000
    if server > tool:
        pytest.skip(f"pg_dump {tool} cannot dump a PostgreSQL {server} server")


@pytest.fixture
def stack(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _skip_unless_pg_dump_can_dump_the_server()
    base = Path(tempfile.mkdtemp(prefix="portal-recovery-"))
    os.chmod(base, 0o777)  # the cluster runs as postgres
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(base, entry.pw_uid, entry.pw_gid)
    processes: list[subprocess.Popen] = []
    pg = redis = None
    try:
        pg, redis = Postgres(base), Redis(base)
        with django_db_blocker.unblock():
            source = connection.settings_dict
        subprocess.run(
            _as_postgres([f"{PG_BIN}/createdb", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "minzheng"]),
            check=True,
        )  # fmt: skip
        dump = subprocess.run(
            ["pg_dump", "--format=custom", f"--dbname={source['NAME']}", f"--host={source['HOST'] or '127.0.0.1'}",
             f"--port={source['PORT'] or 5432}", f"--username={source['USER']}"],
            check=True, capture_output=True,
        ).stdout  # fmt: skip
        subprocess.run(
            ["pg_restore", "--no-owner", "--no-privileges", f"--dbname={pg.url('minzheng')}"],
            input=dump,
            check=True,
            capture_output=True,
        )
        web_port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": pg.url("minzheng"),
            "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
            "DEBUG": "false",
            "MANIFEST_STATIC": "false",
            "CONN_MAX_AGE": "60",
            "WEB_BIND": f"127.0.0.1:{web_port}",
            "WEB_WORKERS": "1",
            "WORKER_CONCURRENCY": "1",
            "WORKER_NAME": f"recovery{os.getpid()}",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }

        def start(name: str) -> subprocess.Popen:
            proc = subprocess.Popen(
                [str(ROOT / "bin" / name)], cwd=ROOT, env=env, start_new_session=True,
                stdout=subprocess.DEVNULL, stderr=open(base / f"{name}.log", "ab"),
            )  # fmt: skip
            processes.append(proc)
            return proc

        from celery import Celery

        client = Celery("recovery-test", broker=env["REDIS_URL"], backend=env["REDIS_URL"])
        client.conf.broker_connection_retry_on_startup = True
        yield {"pg": pg, "redis": redis, "start": start, "url": f"http://127.0.0.1:{web_port}", "celery": client}
    finally:
        for proc in processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in processes:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if redis is not None:
            redis.crash()
        if pg is not None:
            pg.ctl("stop", "-m", "immediate", check=False)
        shutil.rmtree(base, ignore_errors=True)


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=60)


@pytest.mark.timeout(300)  # two servers started, four outages waited out (~50 s here; more on a busy machine)
def test_pages_and_queued_work_survive_redis_and_postgresql_restarts(stack):
    url, celery, redis, pg = stack["url"], stack["celery"], stack["redis"], stack["pg"]
    web, worker = stack["start"]("web"), stack["start"]("worker")
    _wait_for(lambda: _status(url + "/healthz") == 200, 120, "the portal healthy (database, Redis, worker)")
    load = Load(url)
    load.start()
    try:
        # 1. a task queued (no worker consuming) before Redis crashes runs after the restart: the AOF kept it
        _stop(worker)
        queued = celery.send_task("core.worker_info")
        redis.crash()
        _wait_for(lambda: _status(url + "/healthz") == 503, 20, "healthz reports Redis down")
        assert _status(url + "/accounts/login/") == 200  # pages that need no Redis keep answering
        redis.start()
        worker = stack["start"]("worker")
        assert queued.get(timeout=90)["database"] == "minzheng"

        # 2. a running worker reconnects to a restarted Redis by itself and takes new work
        redis.crash()
        time.sleep(2)
        redis.start()
        assert celery.send_task("core.worker_info").get(timeout=90)["database"] == "minzheng"
        _wait_for(lambda: _status(url + "/healthz") == 200, 60, "healthy again after the Redis restarts")

        # 3. PostgreSQL stopped under load: a task queued meanwhile is retried until the database is back; the web
        # process's persistent connections (CONN_MAX_AGE) are checked and replaced (CONN_HEALTH_CHECKS)
        pg.ctl("stop", "-m", "fast")
        during = celery.send_task("core.worker_info")
        _wait_for(lambda: _status(url + "/healthz") == 503, 20, "healthz reports the database down")
        time.sleep(3)  # the worker has met the outage and retries
        pg.ctl("start")
        assert during.get(timeout=120)["database"] == "minzheng"
        _wait_for(lambda: _status(url + "/healthz") == 200, 60, "healthy again after the PostgreSQL restart")

        # 4. a restart while connections are open and in use
        pg.ctl("restart", "-m", "fast")
        _wait_for(lambda: _status(url + "/healthz") == 200, 60, "healthy again after a second PostgreSQL restart")
        assert celery.send_task("core.worker_info").get(timeout=90)["database"] == "minzheng"
        time.sleep(3)  # the load goes on against the recovered stack
    finally:
        load.stopped.set()
        load.join(timeout=30)
    assert web.poll() is None and worker.poll() is None  # neither process died of the outages
    last = [status for at, path, status in load.samples if at > load.samples[-1][0] - 2]
    assert last and all(status == 200 for status in last), load.samples[-8:]
    errors = {status for _, _, status in load.samples} - {200, 503}
    assert not errors - {500}, errors  # no crash of the web process (0 = no answer at all) after the first
