"""Benchmark of issue 5 (public part): the online disclosure of 67,000 recipients and the community notice pages.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/minzheng REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python benchmarks/bench_disclosure.py [--cases 67000] [--requests 200]

It works in a scratch database `<DATABASE_URL's name>_bench_disclosure` that it drops and recreates (migrate,
reference data), so the database you work in is never touched. Households and persons come from
`dalian_minzheng.people.scale.generate`, applications and cases from the same builder as the raise benchmark
(`build_recipients` below: `--cases` active cases + 5 % stopped / phase-out ones, which the public pages must not
show), written with COPY. Requests go through the whole Django stack in-process (middleware, view, template) with the
test client, so the times are server time without the network; each page kind is requested `--requests` times
after one warm-up request, and p50 / p95 / max and the number of SQL queries per request are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
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
    name = parts.path.lstrip("/") + "_bench_disclosure"
    admin = urlunparse(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parts._replace(path=f"/{name}"))


def build_recipients(n: int, seed: int = 7) -> dict:
    """`n` active cases (+ 5 % stopped / phase-out that the pages must hide) on generated households.

    Rows go in with COPY; the per-row audit insert triggers of applications and cases are bypassed for these COPYs
    only and the same insert events are written set-based in the same transaction, as the kernel's scale generator
    does for persons (the row trigger re-upserts its context row once per row, which made a 70,000-row COPY take
    tens of minutes on this machine).
    """
    import datetime as dt
    import uuid
    from decimal import Decimal

    import pgtrigger
    from django.db import connection, transaction
    from django.utils import timezone
    from pghistory.models import Context

    from assistance.models import Application, Case, Programme
    from benchmarks.bench_raises import _copy
    from dalian_minzheng.people.scale import _reserve_ids, _write_insert_events, generate

    extra = n // 20
    started = time.monotonic()
    generated = generate(households=n + extra, seed=seed)
    households_s = time.monotonic() - started
    urban = Programme.objects.create(
        code="bench_urban_allowance", name="城市低保", kind="allowance", hukou_type="urban", calculation="top_up"
    )
    rural = Programme.objects.create(
        code="bench_rural_allowance", name="农村低保", kind="allowance", hukou_type="rural", calculation="top_up"
    )
    hardship = Programme.objects.create(
        code="bench_urban_hardship",
        name="城市特困",
        kind="hardship",
        hukou_type="urban",
        calculation="fixed_per_person",
    )
    rng = random.Random(seed)
    now = timezone.now()
    base = dt.date(2018, 1, 1)
    started = time.monotonic()
    context_id = Context.objects.create(id=uuid.uuid4(), metadata={"task": "bench_disclosure.setup"}).id
    triggers = ("assistance.Application:insert_insert", "assistance.Case:insert_insert")
    with transaction.atomic(), pgtrigger.ignore(*triggers), connection.cursor() as cursor:
        cursor.execute("UPDATE people_division SET name = name WHERE false")  # lets pgtrigger tag the session
        cursor.execute("SELECT id, head_id, division_id, hukou_type FROM people_household ORDER BY id")
        households = cursor.fetchall()
        app_ids = _reserve_ids(cursor, "assistance_application", len(households))
        case_ids = _reserve_ids(cursor, "assistance_case", len(households))
        rows_app, rows_case = [], []
        for i, ((hh_id, head_id, division, hukou), app_id, case_id) in enumerate(
            zip(households, app_ids, case_ids, strict=True)
        ):
            programme = hardship if rng.random() < 0.1 else (urban if hukou == "urban" else rural)
            size = 1 if programme is hardship else rng.choice((1, 1, 2, 2, 3, 3, 4, 5))
            amount = Decimal(rng.randint(300, 1100) * size) + Decimal(rng.randint(0, 99)) / 100
            status = "active" if i < n else rng.choice(("stopped", "phase_out"))
            rows_app.append(
                {"id": app_id, "household_id": hh_id, "applicant_id": head_id, "programme_id": programme.pk,
                 "division_id": division, "status": "approved", "check_status": "clear", "care_level": "",
                 "accepted_on": base, "household_size": size, "proposed_amount": amount, "created_at": now,
                 "updated_at": now}
            )  # fmt: skip
            rows_case.append(
                {"id": case_id, "application_id": app_id, "household_id": hh_id, "programme_id": programme.pk,
                 "division_id": division, "status": status, "care_level": "", "household_size": size,
                 "monthly_income_per_capita": 0, "monthly_amount": amount,
                 "first_payment_month": dt.date(2018, 2, 1), "created_at": now, "updated_at": now}
            )  # fmt: skip
        _copy(cursor, "assistance_application", rows_app)
        _copy(cursor, "assistance_case", rows_case)
        _write_insert_events(cursor, Application, app_ids, context_id)
        _write_insert_events(cursor, Case, case_ids, context_id)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE assistance_case; ANALYZE assistance_application; ANALYZE people_person")
    return {
        "households": generated["households"],
        "persons": generated["persons"],
        "households_seconds": round(households_s, 1),
        "cases_seconds": round(time.monotonic() - started, 1),
    }


def measure(client, label: str, urls: list[str], n: int) -> dict:
    from django.db import connection, reset_queries

    client.get(urls[0])  # warm-up (template loading, connection)
    times, cpu, sql, queries, sizes = [], [], [], [], []
    for i in range(n):
        url = urls[i % len(urls)]
        reset_queries()
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries.append(len(connection.queries))
        sql.append(sum(float(q["time"]) for q in connection.queries) * 1000)
        sizes.append(len(response.content))

    def p95(values):
        values = sorted(values)
        return round(values[max(0, int(round(0.95 * len(values))) - 1)], 1)

    return {
        "page": label,
        "requests": n,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": p95(times),
        "max_ms": round(max(times), 1),
        "cpu_p95_ms": p95(cpu),
        "sql_p50_ms": round(statistics.median(sql), 1),
        "sql_p95_ms": p95(sql),
        "queries": sorted(set(queries)),
        "kb": round(statistics.mean(sizes) / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=67_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--reuse", action="store_true", help="measure again on the scratch database of the previous run (no rebuild)"
    )
    options = parser.parse_args()

    if options.reuse:
        parts = urlparse(os.environ["DATABASE_URL"])
        os.environ["DATABASE_URL"] = urlunparse(parts._replace(path=parts.path + "_bench_disclosure"))
    else:
        os.environ["DATABASE_URL"] = scratch_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dalian_minzheng.settings")
    os.environ["CONN_MAX_AGE"] = "0"
    os.environ["MANIFEST_STATIC"] = "false"  # no collectstatic in a scratch run
    if not options.reuse:
        tick = time.monotonic()
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
        print(f"scratch database migrated in {time.monotonic() - tick:.0f} s", file=sys.stderr)
        subprocess.run(
            [sys.executable, "manage.py", "load_reference_data"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
        )
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from assistance.models import Case
    from benchmarks.bench_raises import machine

    if options.reuse:
        from dalian_minzheng.people.models import Person

        setup = {"persons": Person.objects.count(), "reused": True}
    else:
        setup = build_recipients(options.cases)
    print(f"data set: {setup}", file=sys.stderr)
    # The steady state autovacuum reaches minutes after a bulk load: visibility map set, so counts can be
    # index-only scans.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE assistance_case, assistance_application, people_person")
    setup_test_environment()
    settings.DEBUG = True  # so connection.queries counts the queries (no other effect on these views)
    connection.force_debug_cursor = True

    shown = Case.objects.filter(status__in=["active", "under_review", "phase_out"]).count()
    rng = random.Random(5)
    communities = list(
        Case.objects.filter(status="active").values_list("division_id", flat=True).distinct().order_by("division_id")
    )
    streets = sorted({c[:9] for c in communities})
    districts = sorted({c[:6] for c in communities})
    pages = -(-shown // 50)
    sample = rng.sample(communities, min(50, len(communities)))
    from dalian_minzheng.people.models import Division

    names = dict(Division.objects.filter(code__in=sample).values_list("code", "name"))

    client = Client()
    results = [
        measure(client, "index, page 1 (all recipients)", ["/gongshi/"], options.requests),
        measure(
            client,
            "index, random page",
            [f"/gongshi/?page={rng.randint(1, pages)}" for _ in range(50)],
            options.requests,
        ),
        measure(client, f"index, last page ({pages})", [f"/gongshi/?page={pages}"], options.requests),
        measure(client, "index, by district", [f"/gongshi/?district={d}" for d in districts], options.requests),
        measure(
            client,
            "index, by street",
            [f"/gongshi/?district={s[:6]}&street={s}" for s in rng.sample(streets, min(30, len(streets)))],
            options.requests,
        ),
        measure(
            client,
            "index, by community",
            [f"/gongshi/?district={c[:6]}&street={c[:9]}&community={c}" for c in sample],
            options.requests,
        ),
        measure(client, "index, community name search", [f"/gongshi/?q={names[c]}" for c in sample], options.requests),
        measure(client, "community notice page", [f"/gongshi/{c}/" for c in sample], options.requests),
    ]
    report = {
        "machine": machine(),
        "cases_active": Case.objects.filter(status="active").count(),
        "recipients_shown": shown,
        "persons": setup["persons"],
        "communities_with_recipients": len(communities),
        "setup": setup,
        "results": results,
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    print()
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print()
    print("| page | n | p50 ms | p95 ms | max ms | Django CPU p95 ms | SQL p50 ms | SQL p95 ms | queries | KB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for r in results:
        q = "/".join(str(x) for x in r["queries"])
        print(
            f"| {r['page']} | {r['requests']} | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} | {r['cpu_p95_ms']} |"
            f" {r['sql_p50_ms']} | {r['sql_p95_ms']} | {q} | {r['kb']} |"
        )


if __name__ == "__main__":
    main()
