"""Load test of issue 13, item 7: staff reading the main pages at Dalian scale, through gunicorn, with locust.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/minzheng REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python benchmarks/bench_load.py [--households 52000] [--cases 67000] [--users 20] \
        [--run-time 60] [--web-workers 2] [--reuse]

Data: a scratch database `<DATABASE_URL's name>_bench_load` (dropped and rebuilt; `--reuse` keeps a former run's)
filled by bench_casework.build_cases (households and persons from people/scale.py, COPY; 67,000 cases with their
amount history). Then gunicorn (bin/web, DEBUG off) on a free loopback port, and `locust --headless` with
benchmarks/locustfile.py: N staff (district admin and caseworker of 甘井子区) log in and read the home page, the case
list (plain and searched), case pages, the person search and pages, the application and household lists.
Printed: per page and overall requests, p50/p95/max and the error rate, with the load average (`uptime`) before and
after — the machine is shared, say so with the figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse, urlunparse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import bench_casework  # noqa: E402  (the data builder of the casework benchmark)


def _scratch(reuse: bool) -> str:
    import psycopg

    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("set DATABASE_URL (the benchmark needs a real PostgreSQL server)")
    parts = urlparse(url)
    name = parts.path.lstrip("/") + "_bench_load"
    if not reuse:
        admin = urlunparse(parts._replace(path="/postgres", scheme="postgresql"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parts._replace(path=f"/{name}"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _prepare(password: str) -> dict:
    """The bench accounts with a known password, and the pages to open (cases and persons of 甘井子区)."""
    from assistance.models import Case
    from dalian_minzheng.accounts.models import User

    for username, role, division in (
        ("bench_district", "district_admin", "210211"),
        ("bench_caseworker", "caseworker", "210211001"),
    ):
        user, _ = User.objects.get_or_create(username=username, defaults={"role": role, "division_id": division})
        user.set_password(password)
        user.save()
    cases = Case.objects.filter(division__code__startswith="210211001").select_related("application__applicant")
    sample = list(cases.order_by("?")[:200])
    return {
        "LOAD_CASE_IDS": ",".join(str(c.pk) for c in sample),
        "LOAD_PERSON_IDS": ",".join(str(c.application.applicant_id) for c in sample),
        "LOAD_NAMES": ",".join(sorted({c.application.applicant.name[:1] for c in sample})[:10])
        + ","
        + ",".join(c.application.applicant.name for c in sample[:10]),
    }


def _wait_up(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the portal did not come up at {url}")


def run_locust(host: str, users: int, run_time: int, env: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        prefix = str(Path(tmp) / "load")
        subprocess.run(
            [
                sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
                "--users", str(users), "--spawn-rate", str(max(1, users // 5)), "--run-time", f"{run_time}s",
                "--host", host, "--csv", prefix, "--only-summary", "--loglevel", "WARNING",
            ],
            cwd=ROOT, env=env, check=False,
        )  # fmt: skip
        with open(f"{prefix}_stats.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        with open(f"{prefix}_failures.csv", newline="") as f:
            errors = [
                {"page": r["Name"], "error": r["Error"][:200], "occurrences": int(r["Occurrences"])}
                for r in csv.DictReader(f)
            ]
    pages = []
    for row in rows:
        requests = int(row["Request Count"])
        failures = int(row["Failure Count"])
        pages.append(
            {
                "page": row["Name"] if row["Name"] != "Aggregated" else "all pages",
                "requests": requests,
                "failures": failures,
                "error_rate_percent": round(100 * failures / requests, 2) if requests else 0.0,
                "p50_ms": row["50%"],
                "p95_ms": row["95%"],
                "max_ms": round(float(row["Max Response Time"])),
                "rps": round(float(row["Requests/s"]), 1),
            }
        )
    return {"pages": pages, "failures": errors}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=52_000)
    parser.add_argument("--cases", type=int, default=67_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--run-time", type=int, default=60)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--reuse", action="store_true", help="keep the scratch database of a former run")
    parser.add_argument(
        "--keep-alive", type=int, default=None, help="gunicorn --keep-alive seconds (default: bin/web's, 5)"
    )
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = _scratch(args.reuse)
    os.environ.setdefault("MANIFEST_STATIC", "false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dalian_minzheng.settings")
    data = None
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=os.environ)
    if not args.reuse:
        subprocess.run([sys.executable, "manage.py", "load_reference_data"], cwd=ROOT, check=True, env=os.environ)
    import django

    django.setup()
    if not args.reuse:
        data = bench_casework.build_cases(args.households, args.cases)
        print(json.dumps(data), flush=True)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    password = secrets.token_urlsafe(16)
    pages = _prepare(password)
    from django.db import connections

    connections.close_all()

    port = _free_port()
    env = {
        **os.environ,
        **pages,
        "LOAD_PASSWORD": password,
        "DEBUG": "false",
        "WEB_BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": str(args.web_workers),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    web = subprocess.Popen(
        [str(ROOT / "bin" / "web"), "--access-logfile", "/dev/null"]
        + (["--keep-alive", str(args.keep_alive)] if args.keep_alive is not None else []),
        cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_up(f"http://127.0.0.1:{port}/accounts/login/")
        before = _load_average()
        report = run_locust(f"http://127.0.0.1:{port}", args.users, args.run_time, env)
        report.update(
            load_before=before,
            load_after=_load_average(),
            cpus=os.cpu_count(),
            users=args.users,
            run_time_s=args.run_time,
            web_workers=args.web_workers,
            data=data,
        )
    finally:
        os.killpg(web.pid, 15)
        web.wait(timeout=30)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    print(f"\n{args.users} users, {args.run_time} s, gunicorn {args.web_workers} workers × 4 threads, "
          f"{os.cpu_count()} CPUs, load {report['load_before']} → {report['load_after']}")  # fmt: skip
    print("\n| page | requests | errors | p50 ms | p95 ms | max ms | req/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for p in report["pages"]:
        print(
            f"| {p['page']} | {p['requests']} | {p['failures']} ({p['error_rate_percent']} %) | {p['p50_ms']} | "
            f"{p['p95_ms']} | {p['max_ms']} | {p['rps']} |"
        )
    for failure in report["failures"]:
        print(f"failed: {failure['page']}: {failure['error']} × {failure['occurrences']}")


if __name__ == "__main__":
    main()
