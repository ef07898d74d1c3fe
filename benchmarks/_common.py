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
