"""Shared fixtures: reference divisions, one user per role, a real Celery worker process, Playwright's Chromium.

Everything runs against the real PostgreSQL and Redis named by DATABASE_URL / REDIS_URL (or the embedded ones).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_PASSWORD = "Test-passw0rd-portal"
# The first test that touches the database also creates it: migrating ~100 migrations of four apps renders Django's
# whole model graph once per operation (≈100 s on 2 cores, more when the machine is busy). That one setup gets this
# limit instead of the 2-minute one; every other test keeps it.
DATABASE_CREATION_TIMEOUT = 900


def pytest_collection_modifyitems(config, items):
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if item.get_closest_marker("django_db") or {"db", "transactional_db", "django_db_setup"} & set(fixtures):
            if not item.get_closest_marker("timeout"):
                item.add_marker(pytest.mark.timeout(DATABASE_CREATION_TIMEOUT))
            break


@pytest.fixture(scope="session", autouse=True)
def _static_files_without_manifest():
    """Pages render in tests without a collectstatic run: plain static storage instead of the production manifest
    (tests/foundation/test_static_files.py checks that collectstatic with the manifest works)."""
    from django.conf import settings
    from django.test import override_settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}):
        yield


@pytest.fixture(scope="session", autouse=True)
def _fast_flush_after_transactional_tests():
    """Empty the tables after a transactional test (real worker, live server) in a fraction of a second.

    Django's flush TRUNCATEs every table (~90, ~10 s on a busy machine: each gets new files); after a test only a
    few tables hold rows. Those are emptied with DELETE while triggers are off (`session_replication_role =
    replica`: no audit rows, no append-only refusal, no FK checks, which is safe as every table ends up empty).
    Falls back to Django's flush (its TRUNCATE in replica mode too: event tables refuse TRUNCATE) where sequences
    must be reset.
    """
    from django.core.management.commands import flush
    from django.core.management.sql import emit_post_migrate_signal
    from django.db import DatabaseError, connections, transaction

    original = flush.Command.handle

    def truncate_with_triggers_off(self, connection, **options):
        # Event tables refuse TRUNCATE (a BEFORE TRUNCATE trigger, dalian_minzheng/audit/tracking.py); replica mode
        # skips it, as it skips the append-only triggers for the DELETE below.
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            return original(self, **options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = origin")

    def handle(self, **options):
        database = options["database"]
        connection = connections[database]
        if options.get("reset_sequences") or options.get("interactive") or connection.vendor != "postgresql":
            return truncate_with_triggers_off(self, connection, **options)
        tables = [connection.ops.quote_name(t) for t in connection.introspection.django_table_names(True, False)]
        try:
            with transaction.atomic(using=database), connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
                probes = (f"SELECT {i} FROM (SELECT 1 FROM {t} LIMIT 1) AS t{i}" for i, t in enumerate(tables))
                cursor.execute(" UNION ALL ".join(probes))
                for (index,) in cursor.fetchall():
                    cursor.execute(f"DELETE FROM {tables[index]}")
        except DatabaseError:
            return truncate_with_triggers_off(self, connection, **options)
        if tables and not options.get("inhibit_post_migrate"):
            emit_post_migrate_signal(options["verbosity"], False, database)

    patch = pytest.MonkeyPatch()
    patch.setattr(flush.Command, "handle", handle)
    yield
    patch.undo()


@pytest.fixture
def divisions(db):
    """Reference divisions, loaded inside each test (transactional tests truncate tables afterwards)."""
    from dalian_minzheng.people import reference

    reference.load()


def _make_user(username, role, division):
    from dalian_minzheng.accounts.models import User

    user = User.objects.create_user(
        username=username, password=TEST_PASSWORD, role=role, division_id=division, full_name=username
    )
    return user


@pytest.fixture
def make_user(divisions):
    return _make_user


@pytest.fixture
def caseworker(make_user):
    return make_user("cw_zhongshan", "caseworker", "210202001")  # 中山区 海军广场街道


@pytest.fixture
def caseworker_other_district(make_user):
    return make_user("cw_xigang", "caseworker", "210203001")  # 西岗区 香炉礁街道


@pytest.fixture
def district_admin(make_user):
    return make_user("da_zhongshan", "district_admin", "210202")


@pytest.fixture
def city_admin(make_user):
    return make_user("city_admin", "city_admin", "210200")


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", "auditor", "210200")


def test_database_url() -> str:
    """URL of the test database, for processes (workers) started by tests."""
    from django.db import connection

    cfg = connection.settings_dict
    user = quote(cfg.get("USER") or "postgres")
    password = f":{quote(cfg['PASSWORD'])}" if cfg.get("PASSWORD") else ""
    host = cfg.get("HOST") or ""
    socket_dir = cfg.get("OPTIONS", {}).get("host")
    port = f":{cfg['PORT']}" if cfg.get("PORT") else ""
    if socket_dir and not host:
        return f"postgres://{user}{password}@/{cfg['NAME']}?host={socket_dir}"
    return f"postgres://{user}{password}@{host}{port}/{cfg['NAME']}"


class WorkerProcess:
    """A real `celery worker` subprocess against the test database; `kill()` sends SIGKILL like a crash."""

    def __init__(self, extra_args: list[str] | None = None):
        from django.conf import settings

        env = dict(os.environ)
        env["DATABASE_URL"] = test_database_url()
        env["REDIS_URL"] = settings.REDIS_URL
        env["CONN_MAX_AGE"] = "0"
        (ROOT / "var").mkdir(exist_ok=True)  # a clean clone tested against explicit URLs has no var/ yet
        self.log = open(ROOT / "var" / f"test-worker-{os.getpid()}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.worker_app",  # the portal's app with the tests' stage hold (tests/worker_app.py)
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "1",
                "--pool",
                "prefork",
                "--without-gossip",
                "--without-mingle",
                *(extra_args or []),
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        from dalian_minzheng.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited with {self.proc.returncode}; see {self.log.name}")
            replies = app.control.ping(timeout=0.5)
            if replies:
                return
        raise RuntimeError(f"celery worker did not answer within {timeout}s; see {self.log.name}")

    def kill(self) -> None:
        """SIGKILL the whole process group: the pool child dies mid-task, as on a power cut."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


@pytest.fixture
def celery_worker_process(transactional_db):
    """Start a real worker for one test; the test's data must be committed (transactional_db)."""
    from dalian_minzheng.celery import app

    app.control.purge()
    workers: list[WorkerProcess] = []

    def start(extra_args: list[str] | None = None) -> WorkerProcess:
        worker = WorkerProcess(extra_args)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
    app.control.purge()


@pytest.fixture(scope="session")
def browser():
    """The system's Chromium driven by Playwright (`playwright install` cannot download browsers here)."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    # Playwright's sync API keeps an event loop running in this thread; Django would then refuse database calls
    # from the test (and its teardown) as "async context", though they are plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    # Issue 13: the Content-Security-Policy must never have to refuse anything the portal itself sends. Chromium
    # reports each refusal on the console; every journey fails on one (the journeys may also assert it themselves).
    page.csp_violations = []
    page.on(
        "console",
        lambda message: page.csp_violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    yield page
    violations = list(page.csp_violations)
    context.close()
    assert not violations, f"CSP violations in the browser: {violations}"


@pytest.fixture
def login(page):
    def do_login(user, password: str = TEST_PASSWORD):
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    return do_login
