"""Benchmark of issue 7: a standard raise over 67,000 active cases, set-based SQL against an ORM loop.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/minzheng REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python benchmarks/bench_raises.py [--cases 67000] [--orm-sample 1000] [--repeat 3] [--reuse]

It works in a scratch database `<DATABASE_URL's name>_bench_raises` that it drops and recreates (migrate, reference
data), so the database you work in is never touched. Households and persons come from
`dalian_minzheng.people.scale.generate`; applications and cases are written with COPY, their audit events set-based.

Measured in the same run, on the same cases, each part right after a CHECKPOINT:
1. ORM loop: for each case, the reference calculation (`assistance.amounts.monthly_amount`), `case.save()` and a
   `CaseAmountChange` (same columns and dates as the service; the row triggers write the audit
   events; foreign keys checked per statement) — on `--orm-sample` consecutive cases inside a transaction that is
   rolled back, extrapolated linearly to all cases (a full loop would take minutes; it is linear per case).
   A second variant resolves the standards once and only saves per case ("ORM loop, cached standards").
2. The real service (`assistance.raises.services.raise_apply`, what the Celery task calls): plan check, new
   Standard rows, table locks, one UPDATE … FROM for all programmes with the CaseAmountChange inserts and the audit
   events, commit — `--repeat` raises in a row (a month apart), the median counts.
`--reuse` measures again on the cases of an earlier run; `--explain` prints EXPLAIN (ANALYZE, BUFFERS, WAL) of the
apply statements instead (rolled back).
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


def scratch_database(*, reuse: bool = False) -> str:
    """Drop and recreate `<name>_bench_raises` next to DATABASE_URL's database (or keep it); return its URL."""
    import psycopg

    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("set DATABASE_URL (the benchmark needs a real PostgreSQL server)")
    parts = urlparse(url)
    name = parts.path.lstrip("/") + "_bench_raises"
    admin = urlunparse(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if reuse and exists:
            return urlunparse(parts._replace(path=f"/{name}"))
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


def build_cases(n: int) -> dict:
    """Programmes, standards and `n` active cases (+ 5 % stopped and phase-out cases that must stay untouched)."""
    import pgtrigger
    from django.db import connection, transaction
    from django.utils import timezone

    from assistance.models import Application, Case, CaseAmountChange, Programme, Standard
    from dalian_minzheng.audit.bulk import insert_events_sql
    from dalian_minzheng.audit.context import audit_context
    from dalian_minzheng.people.scale import generate

    extra = n // 20
    started = time.monotonic()
    generated = generate(households=n + extra, seed=7)
    households_s = time.monotonic() - started

    def programme(code: str, name: str, kind: str, hukou: str, calculation: str) -> Programme:
        return Programme.objects.create(code=code, name=name, kind=kind, hukou_type=hukou, calculation=calculation)

    urban = programme("bench_urban_allowance", "城市低保", "allowance", "urban", "top_up")
    rural = programme("bench_rural_allowance", "农村低保", "allowance", "rural", "top_up")
    hardship = programme("bench_urban_hardship", "城市特困", "hardship", "urban", "fixed_per_person")
    base = dt.date(2020, 1, 1)
    Standard.objects.create(programme=urban, amount=Decimal("1000"), effective_from=base)
    Standard.objects.create(programme=urban, division_id="210202", amount=Decimal("1050"), effective_from=base)
    Standard.objects.create(programme=rural, amount=Decimal("800"), effective_from=base)
    Standard.objects.create(
        programme=hardship, amount=Decimal("1300"), effective_from=base, base_programme=urban, multiplier=Decimal("1.3")
    )
    for level, amount in (("self_care", "100"), ("half_care", "350"), ("full_care", "700")):
        Standard.objects.create(programme=hardship, care_level=level, amount=Decimal(amount), effective_from=base)

    rng = random.Random(11)
    now = timezone.now()
    started = time.monotonic()
    std = {"urban": {"": Decimal("1000"), "210202": Decimal("1050")}, "rural": Decimal("800")}
    care = {"": 0, "self_care": 100, "half_care": 350, "full_care": 700}
    # The row-level pghistory insert triggers made this COPY take ~30 min (one context upsert per row; Application
    # still has them); they are ignored for this transaction's statements and the same insert events are written
    # set-based afterwards (audit/bulk.py), so the event tables hold what the triggers would have written.
    with (
        transaction.atomic(),
        audit_context(task="bench_raises.setup"),
        pgtrigger.ignore(*(f"{m._meta.label}:insert_insert" for m in (Application, Case, CaseAmountChange))),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE people_division SET name = name WHERE false")  # sets the audit context variables
        cursor.execute("SELECT id, head_id, division_id FROM people_household ORDER BY id")
        households = cursor.fetchall()
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('assistance_application', 'id')) FROM generate_series(1, %s)",
            [len(households)],
        )
        app_ids = [r[0] for r in cursor.fetchall()]
        rows_app, rows_case = [], []
        for i, ((hh_id, head_id, division), app_id) in enumerate(zip(households, app_ids, strict=True)):
            roll = rng.random()
            if roll < 0.67:
                programme, care_level = urban, ""
            elif roll < 0.9:
                programme, care_level = rural, ""
            else:
                programme, care_level = hardship, rng.choice(list(care))
            size = 1 if programme is hardship else rng.choice((1, 1, 2, 2, 3, 3, 4, 5))
            income = Decimal(rng.choice((0, 0, rng.randint(0, 1100)))) + Decimal(rng.randint(0, 99)) / 100
            if programme is urban:
                s = std["urban"]["210202"] if division.startswith("210202") else std["urban"][""]
                amount = max(Decimal(0), s - income) * size
            elif programme is rural:
                amount = max(Decimal(0), std["rural"] - income) * size
            else:
                amount = (Decimal(1300) + care[care_level]) * size
            status = "active" if i < n else rng.choice(("stopped", "phase_out"))
            rows_app.append(
                {"id": app_id, "household_id": hh_id, "applicant_id": head_id, "programme_id": programme.pk,
                 "division_id": division, "status": "approved", "check_status": "clear", "care_level": care_level,
                 "accepted_on": base, "household_size": size, "monthly_income_per_capita": income,
                 "proposed_amount": amount, "created_at": now, "updated_at": now}
            )  # fmt: skip
            rows_case.append(
                {"application_id": app_id, "household_id": hh_id, "programme_id": programme.pk,
                 "division_id": division, "status": status, "care_level": care_level, "household_size": size,
                 "monthly_income_per_capita": income, "monthly_amount": amount.quantize(Decimal("0.01")),
                 "first_payment_month": dt.date(2020, 2, 1), "created_at": now, "updated_at": now}
            )  # fmt: skip
        _copy(cursor, "assistance_application", rows_app)
        _copy(cursor, "assistance_case", rows_case)
        # every case starts with its approval in the amount history, as casework writes it
        cursor.execute(
            "INSERT INTO assistance_caseamountchange (case_id, effective_from, old_amount, new_amount, reason, note,"
            " source_ref, created_at) SELECT id, first_payment_month, NULL, monthly_amount, 'approval', '', '', NOW()"
            " FROM assistance_case"
        )
        for model in (Application, Case, CaseAmountChange):
            table = f'"{model._meta.db_table}"'
            cursor.execute(insert_events_sql(model, source=table, label="insert", context="_pgh_attach_context()"))
    with connection.cursor() as cursor:
        for table in ("case", "application", "standard", "caseamountchange"):
            cursor.execute(f"ANALYZE assistance_{table}")
    return {
        "households": generated["households"],
        "persons": generated["persons"],
        "households_seconds": round(households_s, 1),
        "cases_seconds": round(time.monotonic() - started, 1),
        "programmes": [urban.pk, rural.pk, hardship.pk],
    }


def cpu_seconds() -> float:
    """CPU time used so far by this process plus its PostgreSQL backend (read from /proc: same machine). On a machine
    shared with other work, wall time grows with the load; CPU time is what the work itself costs."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    backend = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except (OSError, ValueError, IndexError):  # the database is on another machine
        backend = float("nan")
    return time.process_time() + backend


def _copy(cursor, table: str, rows: list[dict]) -> None:
    """COPY dict rows; NOT NULL columns without a default that the rows leave out get '' / false / 0, so columns
    added to the casework models later do not break the benchmark."""
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


def checkpoint() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


class Rollback(Exception):
    pass


def orm_loop(raise_record, sample: int, *, cached: bool) -> dict:
    """The loop a raise would be without set-based SQL, on a random sample, rolled back afterwards. It writes the
    rows the service writes (the case, its CaseAmountChange with the same note and source, and through the
    row triggers their audit events) and checks the foreign keys at each statement: rolled back, the deferred
    checks would otherwise never run, while the service pays them at commit."""
    from django.db import connection, transaction
    from django.db.models import Max

    from assistance import amounts
    from assistance.models import Case, CaseAmountChange, Standard
    from assistance.raises import recompute

    programmes = list(raise_record.planned_standards.values_list("programme_id", flat=True).distinct())
    ids = list(
        Case.objects.filter(programme_id__in=programmes, status__in=recompute.RECOMPUTED_STATUSES)
        .order_by("id")
        .values_list("id", flat=True)
    )
    total = len(ids)
    # A run of consecutive cases (the programmes are mixed through the ids), not a scattered sample: the full loop
    # writes each table page for several cases in a row, and a scattered sample would pay a whole page (its first
    # write after the checkpoint) for nearly every case, overstating the loop's cost per case.
    start = random.Random(3).randrange(max(1, total - sample + 1))
    chosen = ids[start : start + sample]
    on = raise_record.effective_from
    elapsed = cpu = 0.0
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for planned in raise_record.planned_standards.all():
                Standard.objects.create(
                    programme_id=planned.programme_id,
                    division_id=planned.division_id,
                    care_level=planned.care_level,
                    amount=planned.new_amount,
                    effective_from=on,
                    base_programme_id=planned.base_programme_id,
                    multiplier=planned.multiplier,
                )
            # The service's rules, as a loop would apply them: a case whose amount already changed with effect
            # after the raise's date gets the raise from that date (looked up once for all cases). Exactly once per
            # case is left to the raise's status and the unique (source, case) index, as in the service; a check
            # per case (`….exists()`, as assistance.services.case_change_amount does) would add ~0.5 ms per case.
            later = dict(
                CaseAmountChange.objects.filter(effective_from__gt=on)
                .exclude(source_ref=raise_record.source_ref)
                .values_list("case_id")
                .annotate(since=Max("effective_from"))
            )
            cache: dict = {}
            started = time.monotonic()
            cpu_started = cpu_seconds()
            for case in Case.objects.filter(pk__in=chosen).select_related("programme").iterator(chunk_size=500):
                if cached:
                    key = (case.programme_id, case.division_id[:6], case.care_level)
                    if key not in cache:
                        cache[key] = amounts.monthly_amount(
                            programme=case.programme, district_code=key[1], on=on, household_size=1,
                            income_per_capita=Decimal(0), care_level=case.care_level,
                        )  # fmt: skip
                    if case.programme.calculation == "top_up":
                        per_person = cache[key]
                        new = amounts.top_up(
                            standard=per_person, income_per_capita=case.monthly_income_per_capita,
                            household_size=case.household_size,
                        )  # fmt: skip
                    else:
                        new = amounts.round_fen(cache[key] * case.household_size)
                else:
                    new = amounts.monthly_amount(
                        programme=case.programme, district_code=case.division_id[:6], on=on,
                        household_size=case.household_size, income_per_capita=case.monthly_income_per_capita,
                        care_level=case.care_level,
                    )  # fmt: skip
                if new != case.monthly_amount:
                    old = case.monthly_amount
                    case.monthly_amount = new
                    case.save(update_fields=["monthly_amount", "updated_at"])
                    CaseAmountChange.objects.create(
                        case=case, effective_from=later.get(case.pk, on), old_amount=old, new_amount=new,
                        reason="raise", note=raise_record.title[:300], source_ref=raise_record.source_ref,
                    )  # fmt: skip
            elapsed = time.monotonic() - started
            cpu = cpu_seconds() - cpu_started
            raise Rollback
    except Rollback:
        pass
    return {
        "sample": len(chosen),
        "cases": total,
        "sample_seconds": round(elapsed, 3),
        "per_case_ms": round(elapsed / len(chosen) * 1000, 3),
        "extrapolated_seconds": round(elapsed / len(chosen) * total, 1),
        "cpu_per_case_ms": round(cpu / len(chosen) * 1000, 3),
        "extrapolated_cpu_seconds": round(cpu / len(chosen) * total, 1),
    }


def explain_apply(raise_record, admin, today) -> None:
    """Run the real service with every apply statement EXPLAINed (and executed by it), then roll back."""
    from django.db import connection, transaction

    from assistance.raises import services

    def explainer(execute, sql, params, many, context):
        if "upd AS (" not in sql or sql.lstrip().startswith("EXPLAIN"):
            return execute(sql, params, many, context)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            started = time.monotonic()
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, WAL, VERBOSE) " + sql, params)
            print("\n".join(row[0] for row in cursor.fetchall()))
            print(f"-- statement with immediate foreign-key checks: {time.monotonic() - started:.2f} s wall\n")
        return execute(sql, params, many, context)  # the statement again: a no-op now (applied once per case)

    try:
        with transaction.atomic(), connection.execute_wrapper(explainer):
            started = time.monotonic()
            services.raise_apply(raise_id=raise_record.pk, acting_user=admin, today=today)
            print(f"-- whole apply (explained, before commit): {time.monotonic() - started:.2f} s wall")
            raise Rollback
    except Rollback:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=67_000)
    parser.add_argument("--orm-sample", type=int, default=1_000)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the scratch database of an earlier run (its cases) and apply a further raise, a month later",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="instead of timing: EXPLAIN (ANALYZE, BUFFERS, WAL) every apply statement, foreign keys checked "
        "immediately (so their cost shows as trigger time), in a transaction that is rolled back",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="apply this many raises in a row (a month apart); the median counts"
    )
    parser.add_argument(
        "--compare-replica",
        action="store_true",
        help="also apply each repeat with every trigger off (session_replication_role = replica, the statement "
        "writing the audit events itself), alternating with the normal path",
    )
    parser.add_argument(
        "--no-migrate", action="store_true", help="with --reuse: keep the scratch schema as it is (a trial by hand)"
    )
    parser.add_argument(
        "--role",
        default=None,
        help="database role the apply runs as (SET ROLE): default settings.DB_RUNTIME_ROLE, set up in the scratch "
        "database (manage.py setup_db_roles), i.e. the production path (no superuser: triggers on, the audit "
        "rows written by the statement-level triggers); '' = the connecting role (a superuser takes the replica path)",
    )
    options = parser.parse_args()

    os.environ["DATABASE_URL"] = scratch_database(reuse=options.reuse)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dalian_minzheng.settings")
    os.environ["CONN_MAX_AGE"] = "0"
    if not (options.reuse and options.no_migrate):
        tick = time.monotonic()
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
        print(f"scratch database migrated in {time.monotonic() - tick:.0f} s", file=sys.stderr)
        subprocess.run(
            [sys.executable, "manage.py", "load_reference_data"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
        )
    import django

    django.setup()
    from django.conf import settings

    role = settings.DB_RUNTIME_ROLE if options.role is None else options.role
    if role:
        subprocess.run([sys.executable, "manage.py", "setup_db_roles"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    from django.db import connection
    from django.utils import timezone

    from assistance.models import Case, CaseAmountChange, Programme, Standard
    from assistance.raises import services
    from dalian_minzheng.accounts.models import User

    today = timezone.localdate()
    on = today.replace(day=1)
    if Programme.objects.filter(code="bench_urban_allowance").exists():
        # An earlier run's cases: the next raise takes effect the month after the latest standard, and is applied
        # "on" that day. Pages written before the fillfactor migration are repacked, as on an upgraded system.
        setup = {"reused": True}
        admin = User.objects.get(username="bench_city_admin")
        latest = max(
            Standard.objects.filter(programme__code__startswith="bench_").values_list("effective_from", flat=True)
        )
        on = (latest.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        # what autovacuum does in the months between two raises (and the rolled-back ORM loops leave dead rows)
        with connection.cursor() as cursor:
            for table in ("case", "caseamountchange", "caseevent", "caseamountchangeevent"):
                cursor.execute(f"VACUUM ANALYZE assistance_{table}")
    else:
        setup = build_cases(options.cases)
        admin = User.objects.create_user(username="bench_city_admin", role="city_admin", division_id="210200")
    print(f"data set: {setup}", file=sys.stderr)

    def approved_raise(effective_from: dt.date):
        record = services.raise_create(
            acting_user=admin,
            title="基准测试: 城乡低保提标 8%",
            programmes=list(Programme.objects.filter(code__in=["bench_urban_allowance", "bench_rural_allowance"])),
            components=["basic"],
            method="increase_percent",
            value=Decimal("8"),
            rounding="up_yuan",
            effective_from=effective_from,
        )
        services.raise_approve(acting_user=admin, raise_record=record)
        return record

    raise_record = approved_raise(on)
    active = Case.objects.filter(status="active").count()
    load_before = os.getloadavg()

    if options.explain:
        checkpoint()
        explain_apply(raise_record, admin, on)
        return

    # Each measured part starts right after a checkpoint, as a raise does in production (the cases' pages were not
    # written since the last one, so each first write also logs the whole page); this also makes runs comparable.
    checkpoint()
    naive = orm_loop(raise_record, options.orm_sample, cached=False)
    checkpoint()
    cached = orm_loop(raise_record, options.orm_sample, cached=True)

    from assistance.raises import recompute

    applies, replica_applies = [], []
    paths = [("statement", False)] + ([("replica", True)] if options.compare_replica else [])
    for repeat in range(options.repeat):
        # alternating which path goes first, so neither always meets the other's dead rows
        for path, triggers_off in paths if repeat % 2 == 0 else paths[::-1]:
            if applies or replica_applies:
                on = (on.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
                raise_record = approved_raise(on)
            recompute.ROW_TRIGGERS_OFF = triggers_off
            checkpoint()
            if role and not triggers_off:  # the runtime role may not switch triggers off: production's path
                with connection.cursor() as cursor:
                    cursor.execute(f"SET ROLE {connection.ops.quote_name(role)}")
            cpu_started = cpu_seconds()
            started = time.monotonic()
            try:
                result = services.raise_apply(raise_id=raise_record.pk, acting_user=admin, today=on)
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("RESET ROLE")
            measured = {"path": path, "role": role if not triggers_off else "(connecting role)",
                        "effective_from": on, "cases_changed": result.cases_changed,
                        "seconds": round(time.monotonic() - started, 2),
                        "cpu_seconds": round(cpu_seconds() - cpu_started, 2)}  # fmt: skip
            (replica_applies if triggers_off else applies).append(measured)
            print(f"apply {repeat + 1}: {measured}", file=sys.stderr)
            untouched = Case.objects.exclude(status__in=["active", "under_review"]).filter(
                amount_changes__source_ref=raise_record.source_ref
            )
            assert not untouched.exists()
            assert CaseAmountChange.objects.filter(source_ref=raise_record.source_ref).count() == result.cases_changed
    set_based = statistics.median(a["seconds"] for a in applies)
    set_based_cpu = statistics.median(a["cpu_seconds"] for a in applies)

    if replica_applies:
        replica = statistics.median(a["seconds"] for a in replica_applies)
        replica_cpu = statistics.median(a["cpu_seconds"] for a in replica_applies)
    out = {
        "machine": machine(),
        "load_average_1_5_15_min_before": [round(x, 1) for x in load_before],
        "load_average_1_5_15_min_after": [round(x, 1) for x in os.getloadavg()],
        "setup": setup,
        "active_cases": active,
        "cases_changed": result.cases_changed,
        "applies": applies,
        "set_based_seconds_median": round(set_based, 2),
        "set_based_cpu_seconds_median": round(set_based_cpu, 2),
        "orm_loop": naive,
        "orm_loop_cached_standards": cached,
        "speedup_vs_orm_loop": round(naive["extrapolated_seconds"] / set_based, 1),
        "speedup_vs_orm_loop_cached": round(cached["extrapolated_seconds"] / set_based, 1),
        "cpu_speedup_vs_orm_loop": round(naive["extrapolated_cpu_seconds"] / set_based_cpu, 1),
        "cpu_speedup_vs_orm_loop_cached": round(cached["extrapolated_cpu_seconds"] / set_based_cpu, 1),
    }
    if replica_applies:
        out.update(
            replica_applies=replica_applies,
            replica_seconds_median=round(replica, 2),
            replica_cpu_seconds_median=round(replica_cpu, 2),
            replica_speedup_vs_orm_loop=round(naive["extrapolated_seconds"] / replica, 1),
            replica_speedup_vs_orm_loop_cached=round(cached["extrapolated_seconds"] / replica, 1),
        )
    print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| machine | {out['machine']['cpu']}, {out['machine']['cores']} cores, {out['machine']['memory']}, "
          f"PostgreSQL {out['machine']['postgresql']} |")  # fmt: skip
    print(f"| load average (1/5/15 min) before → after | {out['load_average_1_5_15_min_before']} → "
          f"{out['load_average_1_5_15_min_after']} |")  # fmt: skip
    print(f"| active cases | {active:,} |")
    print(f"| cases whose amount changed | {result.cases_changed:,} |")
    each = ", ".join(f"{a['seconds']:.2f} / {a['cpu_seconds']:.2f}" for a in applies)
    print(
        f"| set-based apply (service, one transaction), median of {len(applies)}: wall / CPU | {set_based:.2f} s / "
        f"{set_based_cpu:.2f} s (each: {each}) |"
    )
    if replica_applies:
        each = ", ".join(f"{a['seconds']:.2f} / {a['cpu_seconds']:.2f}" for a in replica_applies)
        print(
            f"| same, every trigger off (replica; the statement writes the events), median of {len(replica_applies)}"
            f": wall / CPU | {replica:.2f} s / {replica_cpu:.2f} s (each: {each}); "
            f"speed-up {out['replica_speedup_vs_orm_loop']}× / "
            f"{out['replica_speedup_vs_orm_loop_cached']}× (cached) |"
        )
    print(
        f"| ORM loop, reference calculation per case ({naive['sample']:,} sampled, extrapolated): wall / CPU | "
        f"{naive['extrapolated_seconds']:.1f} s / {naive['extrapolated_cpu_seconds']:.1f} s "
        f"({naive['per_case_ms']} / {naive['cpu_per_case_ms']} ms per case) |"
    )
    print(
        f"| ORM loop, standards cached ({cached['sample']:,} sampled, extrapolated): wall / CPU | "
        f"{cached['extrapolated_seconds']:.1f} s / {cached['extrapolated_cpu_seconds']:.1f} s "
        f"({cached['per_case_ms']} / {cached['cpu_per_case_ms']} ms per case) |"
    )
    print(f"| speed-up vs ORM loop: wall / CPU | {out['speedup_vs_orm_loop']}× / {out['cpu_speedup_vs_orm_loop']}× |")
    print(
        f"| speed-up vs ORM loop with cached standards: wall / CPU | {out['speedup_vs_orm_loop_cached']}× / "
        f"{out['cpu_speedup_vs_orm_loop_cached']}× |"
    )


if __name__ == "__main__":
    main()
