"""Benchmark of issue 6: the cross-department check of every active case against 10 departments' records.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/minzheng_h5 REDIS_URL=redis://127.0.0.1:6379/5 \
        .venv/bin/python benchmarks/bench_checks.py [--persons 150000] [--records 5000000] [--subset 5000]

It works in a scratch database `<DATABASE_URL's name>_bench_checks` that it drops and recreates (migrate, reference
data), so the database you work in is never touched.

Data: households and persons from `dalian_minzheng.people.scale.generate` (≈2.9 persons per household); one
application + active case per household (COPY); a signed authorisation for every member (COPY); one delivery per
department (10) with `--records` department records in total (COPY): ≈3.7 records per checked person with realistic
rates (every person's 户籍, 60 % resident medical insurance, 70 % bank deposits, 40 % one home, a few per cent
vehicles, wages above the threshold, business registrations …), and the rest for ≈1.1 million other residents of
the province whom the departments also cover (they match nobody, as in the real data exchange).

Measured in the same run:
1. On a subset of applications with `--subset` members: the per-person query loop (for each member: one query
   for the current records by ID number, rules evaluated in Python, one upsert per finding) against the set-based
   engine (`engine.check_chunk`, the SQL the worker runs), each inside a transaction that is rolled back, and their
   findings compared row for row.
2. The full check: `services.recheck_active_cases` + `services.run_execute` (exactly what the Celery task runs),
   chunked, with progress, committing findings and summaries, and handing changed statuses and new reviews to the
   casework services.
Results are printed as JSON and as a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def machine() -> dict:
    import platform

    from django.db import connection

    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        "",
    )  # fmt: skip
    kb = int(Path("/proc/meminfo").read_text().split()[1])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "memory": f"{kb / 1024 / 1024:.0f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg,
    }


def scratch_database(reuse: bool = False) -> str:
    from urllib.parse import urlparse, urlunparse

    import psycopg

    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("set DATABASE_URL (the benchmark needs a real PostgreSQL server)")
    parts = urlparse(url)
    name = parts.path.lstrip("/") + "_bench_checks"
    admin = urlunparse(parts._replace(path="/postgres", scheme="postgresql"))
    if not reuse:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parts._replace(path=f"/{name}"))


# item code → (rate among checked persons, value generator); the rest of the catalogue gets 0.3 % each
def _rates(rng: random.Random) -> dict:
    """Per checked person: most records are ordinary (compliant); the rare ones make findings, as in a periodic
    re-check of households already receiving assistance."""

    def deposit():
        return rng.randint(0, 15000) if rng.random() < 0.99 else rng.randint(15000, 120000)

    return {
        "hukou": (1.0, lambda: None),
        "resident_medical": (0.6, lambda: None),
        "deposits": (0.7, deposit),
        "residential_property": (0.4, lambda: 2 if rng.random() < 0.01 else 1),
        "tax_credit": (0.3, lambda: None),
        "medical_expenses": (0.2, lambda: rng.randint(500, 80000)),
        "pension_payment": (0.15, lambda: rng.randint(1200, 3500)),
        "unemployment_registration": (0.1, lambda: None),
        "wages": (0.02, lambda: rng.randint(800, 2400)),
        "housing_fund_balance": (0.04, lambda: rng.randint(0, 20000)),
        "bank_loans": (0.05, lambda: rng.randint(10000, 300000)),
        "vehicle": (0.005, lambda: 1),
        "employee_medical": (0.002, lambda: None),
        "marriage_registration": (0.002, lambda: None),
    }


RARE_RATE = 0.0002  # each of the remaining 20 items


def _insert_select(cursor, table: str, values: dict[str, str], source: str) -> int:
    """INSERT INTO table (columns) SELECT expressions FROM source; NOT NULL columns without a default that `values`
    leaves out get '' / false / 0, so columns added to the casework models later do not break the benchmark."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s AND is_nullable = 'NO'"
        " AND column_default IS NULL AND is_identity = 'NO'",
        [table],
    )
    fill = {"boolean": "false", "smallint": "0", "integer": "0", "bigint": "0", "numeric": "0"}
    extra = {name: fill.get(kind, "''") for name, kind in cursor.fetchall() if name not in values and name != "id"}
    columns = {**values, **extra}
    cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns.values())} FROM {source}")
    return cursor.rowcount


def build(persons_wanted: int, records_wanted: int, *, generate_persons: bool = True) -> dict:
    from django.db import connection, transaction

    from assistance.checks.models import DataItem, Delivery, Department
    from assistance.models import Programme
    from dalian_minzheng.audit.context import audit_context
    from dalian_minzheng.people import idnumbers
    from dalian_minzheng.people.models import Household, Person
    from dalian_minzheng.people.scale import generate

    timings = {}
    tick = time.monotonic()
    if generate_persons:
        generated = generate(households=max(1, round(persons_wanted / 2.9)), seed=5)
    else:
        generated = {"households": Household.objects.count(), "persons": Person.objects.count()}
    timings["persons_seconds"] = round(time.monotonic() - tick, 1)

    rng = random.Random(17)
    urban = Programme.objects.get(code="urban_allowance")
    tick = time.monotonic()
    # One approved application and one active case per household and every member's authorisation, set-based.
    # Setup rows only: triggers are off for them (pghistory's per-row context upsert makes a 250,000-row insert in
    # one transaction quadratic); the check itself runs with every trigger on.
    with transaction.atomic(), audit_context(task="bench_checks.setup"), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        applications = _insert_select(
            cursor,
            "assistance_application",
            {
                "household_id": "h.id", "applicant_id": "h.head_id", "programme_id": str(urban.pk),
                "division_id": "h.division_id", "status": "'approved'", "check_status": "'clear'",
                "care_level": "''", "accepted_on": "DATE '2025-01-01'", "household_size": "1",
                "created_at": "now()", "updated_at": "now()",
            },
            "people_household h ORDER BY h.id",
        )  # fmt: skip
        _insert_select(
            cursor,
            "assistance_case",
            {
                "application_id": "a.id", "household_id": "a.household_id", "programme_id": "a.programme_id",
                "division_id": "a.division_id", "status": "'active'", "care_level": "''", "household_size": "1",
                "monthly_income_per_capita": "0", "monthly_amount": "800.00",
                "first_payment_month": "DATE '2025-02-01'", "created_at": "now()", "updated_at": "now()",
            },
            "assistance_application a ORDER BY a.id",
        )  # fmt: skip
        # every member signed an authorisation
        cursor.execute(
            """
            INSERT INTO checks_authorisation (person_id, household_id, division_id, signed_on, scan, recorded_at)
            SELECT m.person_id, m.household_id, h.division_id, DATE '2025-01-01', 'checks/authorisations/bench.pdf',
                   now()
            FROM people_householdmember m JOIN people_household h ON h.id = m.household_id
            WHERE m.left_on IS NULL
            """
        )
    timings["cases_authorisations_seconds"] = round(time.monotonic() - tick, 1)

    # department records: one delivery per department, COPY'd in as text lines
    tick = time.monotonic()
    items = {i.code: i for i in DataItem.objects.select_related("department")}
    deliveries = {}
    for department in Department.objects.all():
        deliveries[department.pk] = Delivery.objects.create(
            department=department,
            delivery_ref=f"BENCH-{department.code}",
            as_of=dt.date(2026, 10, 31),
            source="api",
            payload_sha256="bench",
        ).pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM people_person ORDER BY id")
        checked = [r[0] for r in cursor.fetchall()]
    rates = _rates(rng)
    rare = [code for code in items if code not in rates]
    prefix = {code: f"{deliveries[i.department_id]}\t{i.pk}\t" for code, i in items.items()}
    suffix = "\t2026-10-31\tt\n"
    NULL = "\\N"  # noqa: N806  (COPY's text-format null)
    written = 0

    def line(code: str, number: str, value, attributes: str = "{}") -> str:
        return f"{prefix[code]}{number}\t{NULL if value is None else value}\t{attributes}{suffix}"

    with transaction.atomic(), connection.cursor() as cursor:
        # bulk load: indexes rebuilt once afterwards, no per-row foreign-key triggers (the rows are consistent)
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'checks_departmentrecord' "
            "AND indexname NOT LIKE '%%pkey'"
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'checks_departmentrecord'::regclass AND contype = 'u'"
        )
        constraints = cursor.fetchall()
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE checks_departmentrecord DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        cursor.execute("SET LOCAL session_replication_role = replica")
        with cursor.cursor.copy(
            "COPY checks_departmentrecord (delivery_id, item_id, id_number, value, attributes, as_of, is_current) "
            "FROM STDIN"
        ) as copy:
            buffer: list[str] = []
            for number in checked:
                for code, (rate, value) in rates.items():
                    if rng.random() < rate:
                        attrs = '{"disabled_mobility": true}' if code == "vehicle" and rng.random() < 0.3 else "{}"
                        buffer.append(line(code, number, value(), attrs))
                for code in rare:
                    if rng.random() < RARE_RATE:
                        buffer.append(line(code, number, rng.randint(1, 200000)))
            written = checked_records = len(buffer)
            copy.write("".join(buffer))
            # the rest of the province's residents the departments cover: 4 items each
            codes = ["hukou", "resident_medical", "deposits", "residential_property", "tax_credit", "pension_payment",
                     "medical_expenses", "wages", "vehicle", "bank_loans"]  # fmt: skip
            addresses = ["210102", "210103", "210104", "210105", "210106", "210111", "210112", "210113"]
            k = 0
            birth0 = dt.date(1940, 1, 1)
            while written < records_wanted:
                buffer = []
                for _ in range(50_000):
                    rest = k // len(addresses)
                    number = idnumbers.make(
                        addresses[k % len(addresses)], birth0 + dt.timedelta(days=rest // 999), rest % 999 + 1
                    )
                    k += 1
                    for code in rng.sample(codes, 4):
                        buffer.append(line(code, number, rng.randint(0, 5000)))
                buffer = buffer[: records_wanted - written]
                written += len(buffer)
                copy.write("".join(buffer))
        cursor.execute("SET LOCAL session_replication_role = origin")
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE checks_departmentrecord ADD CONSTRAINT "{name}" {definition}')
        for _name, definition in indexes:
            cursor.execute(
                definition.replace("CREATE UNIQUE INDEX", "CREATE UNIQUE INDEX IF NOT EXISTS", 1).replace(
                    "CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1
                )
            )
        cursor.execute(
            "UPDATE checks_delivery d SET record_count = c.n, current_count = c.n FROM "
            "(SELECT delivery_id, count(*) AS n FROM checks_departmentrecord GROUP BY delivery_id) c "
            "WHERE c.delivery_id = d.id"
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    timings["records_seconds"] = round(time.monotonic() - tick, 1)
    return {
        "households": generated["households"],
        "persons": generated["persons"],
        "applications": applications,
        "department_records": written,
        "records_of_checked_persons": checked_records,
        "other_residents_covered": k,
        **timings,
    }


def cpu_seconds() -> float:
    """CPU time of this process plus its PostgreSQL backend (parallel query is off in this session, so the backend
    does all the database work): what the work costs on an idle machine, whatever the other engineers are running."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:  # PostgreSQL on another machine
        backend = float("nan")
    return time.process_time() + backend


def reset_results() -> dict:
    """For --reuse: forget the previous run's check results (the casework state it changed is reset too)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE checks_finding, checks_findingaction, checks_applicationcheck, checks_checkrunsubject, "
            "checks_checkrun CASCADE"
        )
        cursor.execute("UPDATE assistance_application SET check_status = 'clear' WHERE check_status <> 'clear'")
        cursor.execute("UPDATE assistance_case SET status = 'active' WHERE status <> 'active'")
        cursor.execute(
            "SELECT (SELECT count(*) FROM people_household), (SELECT count(*) FROM people_person), "
            "(SELECT count(*) FROM checks_departmentrecord)"
        )
        households, persons, records = cursor.fetchone()
        cursor.execute("VACUUM ANALYZE")
    return {"households": households, "persons": persons, "department_records": records, "reused": True}


class Rollback(Exception):
    pass


def subset_applications(persons: int) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.id, (SELECT count(*) FROM people_householdmember m WHERE m.household_id = a.household_id "
            "AND m.left_on IS NULL) FROM assistance_application a ORDER BY a.id"
        )
        out, total = [], 0
        for app_id, size in cursor.fetchall():
            if total >= persons:
                break
            out.append(app_id)
            total += size
    return out


FINDING_FIELDS = (
    "application_id", "person_id", "item_id", "record_id", "outcome", "value", "household_total", "limit_applied",
    "income_counted", "employed", "as_of", "resolution",
)  # fmt: skip


def per_person_loop(app_ids: list[int], run_id: int) -> tuple[float, int, list]:
    """The same rules, one member at a time: the implementation the set-based engine replaces."""
    from django.db import transaction
    from django.utils import timezone

    from assistance.checks.models import Authorisation, DataItem, DepartmentRecord, Finding
    from assistance.models import Application, Standard
    from dalian_minzheng.people.models import HouseholdMember

    items = {i.pk: i for i in DataItem.objects.filter(is_active=True)}
    snapshot: list = []
    elapsed = cpu = 0.0
    members_n = 0
    try:
        with transaction.atomic():
            started, cpu_started = time.monotonic(), cpu_seconds()
            today = timezone.localdate()
            for application in Application.objects.filter(pk__in=app_ids).order_by("id"):
                standard = (
                    Standard.objects.filter(
                        programme_id=application.programme_id, care_level="", effective_from__lte=today
                    )
                    .filter(division_id__in=[application.division_id[:6]])
                    .order_by("-effective_from")
                    .first()
                ) or (
                    Standard.objects.filter(
                        programme_id=application.programme_id,
                        care_level="",
                        effective_from__lte=today,
                        division__isnull=True,
                    )
                    .order_by("-effective_from")
                    .first()
                )
                members = list(
                    HouseholdMember.objects.filter(household_id=application.household_id, left_on__isnull=True)
                    .select_related("person")
                    .order_by("id")
                )
                size = max(len(members), 1)
                per_member = []
                for member in members:
                    members_n += 1
                    if not Authorisation.objects.filter(
                        person_id=member.person_id, household_id=application.household_id, revoked_on__isnull=True
                    ).exists():
                        continue
                    records = list(DepartmentRecord.objects.filter(id_number=member.person.id_number, is_current=True))
                    per_member.append((member, [r for r in records if r.item_id in items]))
                totals: dict[int, Decimal] = {}
                for _member, records in per_member:
                    for r in records:
                        totals[r.item_id] = totals.get(r.item_id, Decimal(0)) + (r.value or Decimal(0))
                for member, records in per_member:
                    for r in records:
                        item = items[r.item_id]
                        limit = None
                        if item.rule == "above":
                            limit = item.threshold
                        elif item.rule == "household_months" and item.threshold_months is not None:
                            base = standard.amount if standard is not None else item.threshold
                            if base is not None:
                                limit = (item.threshold_months * base * size).quantize(Decimal("0.01"))
                        exempt = bool(item.exempt_attribute) and r.attributes.get(item.exempt_attribute) is True
                        outcome = "compliant"
                        if item.rule == "info" or exempt:
                            outcome = "compliant"
                        elif item.rule == "any" and (r.value is None or r.value > 0):
                            outcome = item.outcome_on_hit
                        elif item.rule == "above" and r.value is not None and limit is not None and r.value > limit:
                            outcome = item.outcome_on_hit
                        elif item.rule == "household_months" and limit is not None and totals[r.item_id] > limit:
                            outcome = item.outcome_on_hit
                        above = item.rule != "above" or (r.value is not None and limit is not None and r.value > limit)
                        income = r.value if item.counts_as_income and not exempt and above else None
                        Finding.objects.update_or_create(
                            application_id=application.pk,
                            person_id=member.person_id,
                            item_id=item.pk,
                            defaults={
                                "department_id": item.department_id,
                                "division_id": application.division_id,
                                "record_id": r.pk,
                                "outcome": outcome,
                                "value": r.value,
                                "household_total": totals[r.item_id] if item.rule == "household_months" else None,
                                "limit_applied": limit,
                                "income_counted": income,
                                "employed": item.marks_employed and (r.value is None or r.value > 0),
                                "as_of": r.as_of,
                                "resolution": "not_required" if outcome == "compliant" else "open",
                                "first_run_id": run_id,
                                "changed_run_id": run_id,
                                "updated_at": timezone.now(),
                            },
                        )
            elapsed, cpu = time.monotonic() - started, cpu_seconds() - cpu_started
            snapshot = sorted(Finding.objects.filter(application_id__in=app_ids).values_list(*FINDING_FIELDS))
            raise Rollback
    except Rollback:
        pass
    return elapsed, cpu, members_n, snapshot


def set_based(app_ids: list[int], run_id: int, chunk: int) -> tuple[float, list]:
    from django.db import transaction
    from django.utils import timezone

    from assistance.checks import engine
    from assistance.checks.models import Finding

    try:
        with transaction.atomic():
            started, cpu_started = time.monotonic(), cpu_seconds()
            for i in range(0, len(app_ids), chunk):
                engine.check_chunk(run_id=run_id, application_ids=app_ids[i : i + chunk], today=timezone.localdate())
            elapsed, cpu = time.monotonic() - started, cpu_seconds() - cpu_started
            snapshot = sorted(Finding.objects.filter(application_id__in=app_ids).values_list(*FINDING_FIELDS))
            raise Rollback
    except Rollback:
        pass
    return elapsed, cpu, snapshot


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=150_000)
    parser.add_argument("--records", type=int, default=5_000_000)
    parser.add_argument("--subset", type=int, default=5_000)
    parser.add_argument("--chunk", type=int, default=5_000, help="applications per chunk of the full run")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data set of the previous run; only reset the check results"
    )
    parser.add_argument("--no-subset", action="store_true", help="skip the per-person loop comparison (part 1)")
    options = parser.parse_args()

    os.environ["DATABASE_URL"] = scratch_database(options.reuse)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dalian_minzheng.settings")
    os.environ["CONN_MAX_AGE"] = "0"
    if not options.reuse:
        tick = time.monotonic()
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
        print(f"scratch database migrated in {time.monotonic() - tick:.0f} s", file=sys.stderr)
        subprocess.run(
            [sys.executable, "manage.py", "load_reference_data"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
        )
    import django

    django.setup()
    from assistance.checks import services
    from assistance.checks.models import CheckRun, Finding
    from assistance.models import Application, CaseReview
    from dalian_minzheng.accounts.models import User

    if options.reuse and Application.objects.exists():
        setup = reset_results()
    elif options.reuse:  # persons generated, the rest not yet
        setup = build(options.persons, options.records, generate_persons=False)
    else:
        setup = build(options.persons, options.records)
    print(f"data set: {setup}", file=sys.stderr)
    admin, _created = User.objects.get_or_create(
        username="bench_city_admin", defaults={"role": "city_admin", "division_id": "210200"}
    )

    # 1. the same 5,000-person subset: per-person loop vs set-based engine, same findings
    subset, subset_members, loop_rows, sql_rows = [], 0, [], []
    loop_s = loop_cpu = sql_s = sql_cpu = float("nan")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")
    if not options.no_subset:
        subset = subset_applications(options.subset)
        probe = CheckRun.objects.create(kind="application", division_id="210200", total=len(subset))
        loop_s, loop_cpu, subset_members, loop_rows = per_person_loop(subset, probe.pk)
        print(f"per-person loop: {loop_s:.1f} s for {subset_members} members", file=sys.stderr)
        sql_s, sql_cpu, sql_rows = set_based(subset, probe.pk, options.chunk)
        print(f"set-based subset: {sql_s:.2f} s", file=sys.stderr)
        assert loop_rows == sql_rows, "the loop and the engine disagree"

    # 2. the full check of all active cases, exactly as the worker runs it; the time spent inside the casework
    # services (per-application status and review hand-off, row locks and timeline events) is measured on the side
    from assistance import services as casework

    handoff = {"seconds": 0.0, "calls": 0}

    def timed(func):
        def wrapper(**kwargs):
            tick = time.monotonic()
            try:
                return func(**kwargs)
            finally:
                handoff["seconds"] += time.monotonic() - tick
                handoff["calls"] += 1

        return wrapper

    # the hand-off calls the set-based forms once per chunk (the single-row forms call them too)
    casework.applications_set_check_status = timed(casework.applications_set_check_status)
    casework.cases_open_reviews = timed(casework.cases_open_reviews)
    started, cpu_started = time.monotonic(), cpu_seconds()
    run = services.recheck_active_cases(acting_user=admin, chunk_size=options.chunk)
    services.run_execute(run_id=run.pk)
    full_s, full_cpu = time.monotonic() - started, cpu_seconds() - cpu_started
    handoff_full = dict(handoff)
    run.refresh_from_db()
    assert run.status == "done" and run.done == run.total

    # 3. an immediate re-run changes nothing (idempotent) and is timed as well
    started = time.monotonic()
    again = services.recheck_active_cases(acting_user=admin, chunk_size=options.chunk)
    services.run_execute(run_id=again.pk)
    rerun_s = time.monotonic() - started
    again.refresh_from_db()
    assert again.new_findings == 0 and again.reviews_opened == 0

    out = {
        "machine": machine(),
        "setup": setup,
        "subset": {
            "applications": len(subset),
            "members": subset_members,
            "findings": len(sql_rows),
            "per_person_loop_seconds": round(loop_s, 2),
            "per_person_loop_cpu_seconds": round(loop_cpu, 2),
            "set_based_seconds": round(sql_s, 3),
            "set_based_cpu_seconds": round(sql_cpu, 3),
            "speedup": round(loop_s / sql_s, 1) if sql_s else None,
            "speedup_cpu": round(loop_cpu / sql_cpu, 1) if sql_cpu else None,
            "identical_findings": loop_rows == sql_rows,
        },
        "full": {
            "applications": run.total,
            "members_checked": run.members_checked,
            "findings": Finding.objects.count(),
            "noncompliant": run.noncompliant,
            "suspect": run.suspect,
            "compliant": run.compliant,
            "applications_with_new_findings": run.new_findings,
            "reviews_opened": run.reviews_opened,
            "check_status_findings_open": Application.objects.filter(check_status="findings_open").count(),
            "case_reviews": CaseReview.objects.count(),
            "seconds": round(full_s, 1),
            "cpu_seconds": round(full_cpu, 1),
            "load_average": os.getloadavg(),
            "matching_seconds": round((run.matched_at - run.started_at).total_seconds(), 1),
            "handoff_seconds": round((run.finished_at - run.matched_at).total_seconds(), 1),
            "handoff_applications": run.handoff_total,
            "casework_service_seconds": round(handoff_full["seconds"], 1),
            "casework_service_calls": handoff_full["calls"],
            "rerun_seconds": round(rerun_s, 1),
            "chunk": options.chunk,
        },
    }
    print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| persons / households / active cases | {setup['persons']:,} / {setup['households']:,} / {run.total:,} |")
    print(f"| department records (10 departments) | {setup['department_records']:,} |")
    print(f"| full check (recheck service + run, {options.chunk:,} applications per chunk) | {full_s:.1f} s |")
    print(f"| phase 1: matching (findings, summaries, hand-off marks) | {out['full']['matching_seconds']:.1f} s |")
    print(
        f"| phase 2: hand-off of {run.handoff_total:,} applications to the casework services "
        f"({handoff_full['calls']:,} calls) | {out['full']['handoff_seconds']:.1f} s |"
    )
    print(f"| findings written | {out['full']['findings']:,} |")
    print(f"| applications with new findings → status + review via casework services | {run.new_findings:,} |")
    print(f"| immediate re-run (no changes) | {rerun_s:.1f} s |")
    print(f"| subset: members | {subset_members:,} |")
    print(f"| full check, CPU (this process + its PostgreSQL backend) | {full_cpu:.1f} s |")
    print(f"| subset: per-person query loop, wall / CPU | {loop_s:.2f} s / {loop_cpu:.2f} s |")
    print(f"| subset: set-based engine, wall / CPU | {sql_s:.3f} s / {sql_cpu:.3f} s |")
    print(f"| subset: speed-up, wall / CPU | {out['subset']['speedup']}× / {out['subset']['speedup_cpu']}× |")
    print(f"| load average at the end | {' '.join(f'{x:.1f}' for x in os.getloadavg())} |")


if __name__ == "__main__":
    main()
