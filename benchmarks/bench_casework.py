"""Benchmark of issue 5: the case list and the monthly payment roster at city scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/minzheng REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python benchmarks/bench_casework.py [--households 52000] [--cases 67000] [--requests 40]

It works in a scratch database `<DATABASE_URL's name>_bench_casework` that it drops and recreates (migrate,
reference data), so the database you work in is never touched. Households and persons come from
`dalian_minzheng.people.scale.generate` (COPY); applications and cases are written with COPY, every case gets its
approval CaseAmountChange set-based, and a third of the cases a later raise row, so the roster's "amount in force
this month" lookup has real history to search.

Measured:
1. Case list (`assistance:case_list`) through the Django test client, server time per request, for a city admin
   (all cases) and a district admin, on the first page, a deep page, a name search, a last-4 search, a programme +
   status filter and the overdue-review filter; p50/p95 and the number of queries (which must not vary).
2. The monthly roster for all cases: `services.build_roster` for every district (one INSERT … SELECT each), then
   the same month rebuilt (delete + insert in one transaction) to show that re-running changes nothing.
Results are printed as JSON and as a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def scratch_database() -> str:
    import psycopg

    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("set DATABASE_URL (the benchmark needs a real PostgreSQL server)")
    parts = urlparse(url)
    name = parts.path.lstrip("/") + "_bench_casework"
    admin = urlunparse(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parts._replace(path=f"/{name}"))


def machine() -> dict:
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
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg,
    }


def _copy(cursor, table: str, rows: list[dict]) -> None:
    """COPY dict rows; NOT NULL columns without a default that the rows leave out get '' / false / 0."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s AND is_nullable = 'NO'"
        " AND column_default IS NULL AND is_identity = 'NO'",
        [table],
    )
    fill = {"boolean": False, "smallint": 0, "integer": 0, "bigint": 0, "numeric": 0}
    defaults = {name: fill.get(kind, "") for name, kind in cursor.fetchall() if name not in rows[0]}
    columns = [*rows[0], *defaults]
    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([*row.values(), *defaults.values()])


def build_cases(households: int, cases: int) -> dict:
    """`households` households from the kernel generator, then `cases` receiving cases: one per household, and
    the rest second cases (disability subsidies) in households that already have one. 3 % more stopped cases."""
    import pgtrigger
    from django.db import connection, transaction
    from django.utils import timezone

    from assistance.models import Programme
    from dalian_minzheng.people.scale import generate

    started = time.monotonic()
    generated = generate(households=households, seed=5)
    households_s = time.monotonic() - started

    progs = {p.code: p for p in Programme.objects.all()}
    rng = random.Random(17)
    now = timezone.now()
    started = time.monotonic()
    # Setup data in a scratch database, not what is measured: the per-row audit insert triggers of the casework
    # tables are skipped for these bulk inserts (as the kernel's generator does for persons), which on this shared
    # 2-core machine turns a many-minute COPY into seconds.
    skipped = (
        "assistance.Application:insert_insert",
        "assistance.Case:insert_insert",
        "assistance.CaseAmountChange:insert_insert",
    )
    with transaction.atomic(), pgtrigger.ignore(*skipped), connection.cursor() as cursor:
        cursor.execute("UPDATE people_division SET name = name WHERE false")  # lets pgtrigger tag the session
        cursor.execute("SELECT id, head_id, division_id, hukou_type FROM people_household ORDER BY id")
        rows = cursor.fetchall()
        stopped = cases * 3 // 100
        plan = []  # (household, head, division, programme, status)
        for i in range(cases + stopped):
            hh_id, head_id, division, hukou = rows[i % len(rows)]
            rural = hukou == "rural"
            if i < len(rows):
                roll = rng.random()
                if roll < 0.8:
                    code = "rural_allowance" if rural else "urban_allowance"
                else:
                    code = "rural_hardship" if rural else "urban_hardship"
            else:
                code = rng.choice(("disability_living", "disability_care"))
            plan.append((hh_id, head_id, division, progs[code], "active" if i < cases else "stopped"))
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('assistance_application', 'id')) FROM generate_series(1, %s)",
            [len(plan)],
        )
        app_ids = [r[0] for r in cursor.fetchall()]
        rows_app, rows_case = [], []
        for (hh_id, head_id, division, programme, status), app_id in zip(plan, app_ids, strict=True):
            care = rng.choice(("self_care", "half_care", "full_care")) if programme.kind == "hardship" else ""
            size = 1 if programme.kind != "allowance" else rng.choice((1, 1, 2, 2, 3, 3, 4))
            income = Decimal(rng.randint(0, 600))
            if programme.kind == "allowance":
                standard = Decimal(800 if programme.code == "urban_allowance" else 600)
                amount = max(Decimal(50), standard - income) * size
            elif programme.kind == "hardship":
                amount = Decimal({"self_care": 1240, "half_care": 1640, "full_care": 2240}[care])
            else:
                amount = Decimal(100 if programme.code == "disability_living" else 120)
            first = dt.date(2025, rng.randint(1, 12), 1)
            rows_app.append(
                {"id": app_id, "household_id": hh_id, "applicant_id": head_id, "programme_id": programme.pk,
                 "division_id": division, "status": "approved", "check_status": "clear", "care_level": care,
                 "accepted_on": first - dt.timedelta(days=40), "household_size": size,
                 "monthly_income_per_capita": income, "proposed_amount": amount, "created_at": now,
                 "updated_at": now}
            )  # fmt: skip
            rows_case.append(
                {"application_id": app_id, "household_id": hh_id, "programme_id": programme.pk,
                 "division_id": division, "status": status, "care_level": care, "household_size": size,
                 "monthly_income_per_capita": income, "monthly_amount": amount.quantize(Decimal("0.01")),
                 "first_payment_month": first,
                 "last_payment_month": dt.date(2026, 3, 1) if status == "stopped" else None,
                 "unstable_income": rng.random() < 0.3,
                 "next_review_due": dt.date(2026, rng.randint(1, 12), 1), "created_at": now, "updated_at": now}
            )  # fmt: skip
        _copy(cursor, "assistance_application", rows_app)
        _copy(cursor, "assistance_case", rows_case)
        # Amount history, set-based: the approval row for every case, and a raise for a third of them.
        cursor.execute(
            """
            INSERT INTO assistance_caseamountchange
                (case_id, effective_from, old_amount, new_amount, reason, note, source_ref, created_at)
            SELECT id, first_payment_month, NULL, monthly_amount - 30, 'approval', '', '', now()
            FROM assistance_case;
            INSERT INTO assistance_caseamountchange
                (case_id, effective_from, old_amount, new_amount, reason, note, source_ref, created_at)
            SELECT id, DATE '2026-01-01', monthly_amount - 30, monthly_amount, 'raise', '', 'bench-raise', now()
            FROM assistance_case WHERE mod(id, 3) = 0;
            """
        )
    with connection.cursor() as cursor:
        # The steady state autovacuum keeps: statistics, and a visibility map, so counts can use index-only scans.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SELECT count(*) FROM assistance_case WHERE status = 'active'")
        active = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM assistance_caseamountchange")
        changes = cursor.fetchone()[0]
    return {
        "households": generated["households"],
        "persons": generated["persons"],
        "active_cases": active,
        "stopped_cases": stopped,
        "amount_changes": changes,
        "households_seconds": round(households_s, 1),
        "cases_seconds": round(time.monotonic() - started, 1),
    }


def measure_list(client, url: str, n: int) -> dict:
    from _common import backend_cpu_seconds
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm-up
    times, cpu, sql, counts = [], [], [], set()
    # the backend's CPU is read from /proc in clock ticks (10 ms), so it is summed over the run and averaged
    pg_started = backend_cpu_seconds()
    for _ in range(n):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            cpu_started = time.process_time()
            response = client.get(url)
            cpu.append((time.process_time() - cpu_started) * 1000)
            elapsed = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code)
        times.append(elapsed * 1000)
        # the database's own time for the request's queries, as the client saw it (round trip included)
        sql.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
        counts.add(len(ctx.captured_queries))
    pg_cpu_mean = (backend_cpu_seconds() - pg_started) * 1000 / n

    def p95(values):
        values = sorted(values)
        return round(values[max(0, int(len(values) * 0.95) - 1)], 1)

    return {
        "url": url,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": p95(times),
        "max_ms": round(max(times), 1),
        "cpu_p95_ms": p95(cpu),
        "cpu_mean_ms": round(statistics.mean(cpu), 1),
        "pg_cpu_mean_ms": round(pg_cpu_mean, 1),
        "sql_p95_ms": p95(sql),
        "queries": sorted(counts),
        "load_average": round(os.getloadavg()[0], 2),
    }


def bench_list(n: int) -> list[dict]:
    from django.test import Client
    from django.test.utils import setup_test_environment

    from assistance.models import Case, Programme
    from dalian_minzheng.accounts.models import User

    setup_test_environment()
    city, _ = User.objects.get_or_create(
        username="bench_city", defaults={"role": "city_admin", "division_id": "210200"}
    )
    district, _ = User.objects.get_or_create(
        username="bench_district", defaults={"role": "district_admin", "division_id": "210211"}
    )
    street, _ = User.objects.get_or_create(
        username="bench_caseworker", defaults={"role": "caseworker", "division_id": "210211001"}
    )
    auditor, _ = User.objects.get_or_create(
        username="bench_auditor", defaults={"role": "auditor", "division_id": "210200"}
    )
    # a household in the caseworker's street, so that every user's searches find it
    sample = (
        Case.objects.filter(division__code__startswith="210211001").select_related("application__applicant").first()
    )
    name = sample.application.applicant.name
    last4 = sample.application.applicant.id_number[-4:]
    urban = Programme.objects.get(code="urban_allowance").pk
    results = []
    for user in (city, district, street, auditor):
        client = Client()
        client.force_login(user)
        for label, query in (
            ("first page", ""),
            ("page 100", "?page=100"),
            ("name search", f"?q={name}"),
            ("last-4 search", f"?q={last4}"),
            ("programme + status", f"?programme={urban}&status=active"),
            ("overdue reviews", "?overdue=on"),
            ("street filter", "?division=210211001"),
        ):
            result = measure_list(client, f"/assistance/cases/{query}", n)
            result["user"] = user.role
            result["label"] = label
            results.append(result)
            print(json.dumps(result, ensure_ascii=False), flush=True)
    return results


def bench_roster() -> dict:
    from assistance import services
    from assistance.models import Payment

    month = dt.date(2026, 6, 1)
    districts = services.district_codes()
    runs = []
    from _common import backend_cpu_seconds, own_cpu_seconds

    for attempt in ("build", "rebuild"):
        started = time.monotonic()
        cpu_started = own_cpu_seconds() + backend_cpu_seconds()
        per = {}
        for code in districts:
            tick = time.monotonic()
            roster = services.build_roster(month=month, district_code=code)
            per[code] = (roster.case_count, round(time.monotonic() - tick, 2))
        runs.append(
            {
                "run": attempt,
                "seconds": round(time.monotonic() - started, 2),
                "cpu_seconds": round(own_cpu_seconds() + backend_cpu_seconds() - cpu_started, 2),
                "load_average": round(os.getloadavg()[0], 2),
                "payments": Payment.objects.filter(month=month).count(),
                "slowest_district": max(per.items(), key=lambda kv: kv[1][1]),
            }
        )
        print(json.dumps(runs[-1], ensure_ascii=False), flush=True)
    return {"month": month.isoformat(), "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=52_000)
    parser.add_argument("--cases", type=int, default=67_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--reuse", action="store_true", help="measure again on the scratch database of a former run")
    args = parser.parse_args()

    if args.reuse:
        parts = urlparse(os.environ["DATABASE_URL"])
        os.environ["DATABASE_URL"] = urlunparse(parts._replace(path=parts.path + "_bench_casework"))
        os.environ.setdefault("MANIFEST_STATIC", "false")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dalian_minzheng.settings")
        # a scratch database built by an older checkout gets this checkout's indexes
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=os.environ)
        import django

        django.setup()
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE assistance_case")
        report = {"machine": machine(), "case_list": bench_list(args.requests), "roster": bench_roster()}
        _print(report)
        return
    os.environ["DATABASE_URL"] = scratch_database()
    os.environ.setdefault("MANIFEST_STATIC", "false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dalian_minzheng.settings")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=os.environ)
    subprocess.run([sys.executable, "manage.py", "load_reference_data"], cwd=ROOT, check=True, env=os.environ)
    import django

    django.setup()
    report = {"machine": machine(), "data": build_cases(args.households, args.cases)}
    print(json.dumps(report["data"]), flush=True)
    report["case_list"] = bench_list(args.requests)
    report["roster"] = bench_roster()
    _print(report)


def _print(report: dict) -> None:
    print(json.dumps(report, ensure_ascii=False, indent=1))
    print(
        "\n| user | case list | p50 ms | p95 ms | max ms | CPU p95 ms | CPU mean ms | PG CPU mean ms | SQL p95 ms"
        " | queries | load |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in report["case_list"]:
        queries = ",".join(map(str, r["queries"]))
        print(
            f"| {r['user']} | {r['label']} | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} | "
            f"{r.get('cpu_p95_ms', '')} | {r.get('cpu_mean_ms', '')} | {r.get('pg_cpu_mean_ms', '')} | "
            f"{r.get('sql_p95_ms', '')} | {queries} | {r.get('load_average', '')} |"
        )
    for run in report["roster"]["runs"]:
        print(f"roster {run['run']}: {run['seconds']} s wall, {run.get('cpu_seconds', '')} s CPU (Python + PG)")


if __name__ == "__main__":
    main()
