"""Shared helpers of the spreadsheet benchmarks: Django setup, child processes with their peak memory."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dalian_minzheng.settings")
    import django

    django.setup()


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it does not inherit the parent's peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def backend_cpu_seconds() -> float:
    """CPU time used so far by this connection's PostgreSQL backend (same machine; 0 when not readable).
    Wall time on a machine shared by six engineers says little; CPU seconds of both processes do."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def run_child(script: Path, *args: str) -> dict:
    """Run `script --child ...` in a fresh interpreter (so its peak memory is its own) and return its JSON."""
    out = subprocess.run(
        [sys.executable, str(script), "--child", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit(f"child {args} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine_info() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        mem = f"{int(Path('/proc/meminfo').read_text().split()[1]) // 1024 // 1024} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = f", load average {os.getloadavg()[0]:.1f}"
    return f"{cpu}, {os.cpu_count()} cores, {mem}{load}, Python {platform.python_version()}"


def reset_people() -> None:
    """Empty the people tables and their audit event tables of the benchmark database (TRUNCATE: no row triggers,
    no per-row cost), so every run starts from the same state (event tables grown by earlier runs made later runs
    slower)."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if name.startswith("test_"):
        raise SystemExit("refusing to reset a test database")
    with connection.cursor() as cursor:
        # Event tables refuse TRUNCATE (a BEFORE TRUNCATE trigger, audit/tracking.py); replica mode skips it. The
        # existing-cases kind's tables (and their events) go too: the CASCADE empties them anyway.
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(
                "TRUNCATE people_householdmember, people_household, people_person, people_householdmemberevent, "
                "people_householdevent, people_personevent, assistance_applicationevent, assistance_caseevent, "
                "assistance_caseamountchangeevent CASCADE"
            )
        finally:
            cursor.execute("SET session_replication_role = origin")


def scratch_database(suffix: str) -> str:
    """DATABASE_URL of `<DATABASE_URL's name>_<suffix>`, dropped and created afresh (a benchmark's own database)."""
    from urllib.parse import urlparse, urlunparse

    import psycopg

    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("set DATABASE_URL (the benchmark needs a real PostgreSQL server)")
    parts = urlparse(url)
    name = parts.path.lstrip("/") + "_" + suffix
    admin = urlunparse(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parts._replace(path=f"/{name}"))


def page_timings(users, urls: list[tuple[str, str]], repeat: int = 30) -> list[dict]:
    """p50/p95 and the query counts of each page for each user (Django test client, after one warm-up request)."""
    import statistics
    import time

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    rows = []
    for user in users:
        client = Client()
        client.force_login(user)
        for label, url in urls:
            client.get(url)
            times, queries = [], set()
            for _ in range(repeat):
                with CaptureQueriesContext(connection) as ctx:
                    tick = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - tick) * 1000)
                assert response.status_code == 200, (url, response.status_code)
                queries.add(len(ctx))
            times.sort()
            rows.append(
                {
                    "user": user.username,
                    "page": label,
                    "p50_ms": round(statistics.median(times), 1),
                    "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
                    "queries": sorted(queries),
                }
            )
    return rows
