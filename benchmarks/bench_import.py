"""Import benchmark (issue 4): a generated household-members xlsx, validated and committed end to end by the
engine, against plain django-import-export on the same rows, in the same run.

    DATABASE_URL=... python benchmarks/bench_import.py --rows 100000 --die-rows 5000 --reset

--reset TRUNCATEs the people tables of the database named by DATABASE_URL first (never a test_ database): use a
benchmark database. Each measured import runs in its own Python process so its peak memory (max RSS) is its own.
Also compares python-calamine with openpyxl read_only on reading the same file.

What the benchmark controls, so that a re-run gives the recorded figure (issue 20): every measured import starts
right after a CHECKPOINT (a checkpoint requested by WAL volume in the middle of a commit made every page's first
write a whole-page image again: the same run measured about half the rows per second), after a VACUUM ANALYZE of
the tables it writes (the planner's view of the reset tables), and as the portal's runtime database role
(`--role`, default settings.DB_RUNTIME_ROLE when it exists; `--role ""` = the connecting role, e.g. a superuser,
which lets the existing-cases kind switch its triggers off, a path production never takes). Each result prints the
load average, the WAL written and whether a checkpoint happened during it; the last line is `RESULTS {json}` for
benchmarks/summary.py.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from _common import (
    ROOT,
    backend_cpu_seconds,
    machine_info,
    own_cpu_seconds,
    peak_rss_mb,
    reset_people,
    run_child,
    setup_django,
)

SCRIPT = Path(__file__).resolve()
BENCH_DIR = ROOT / "var" / "bench"


def ensure_file(rows: int) -> Path:
    from generate_import import DEFAULT_COMMUNITIES, write_xlsx
    from generate_import import rows as make_rows

    path = BENCH_DIR / f"households-{rows}.xlsx"
    if not path.exists():
        write_xlsx(path, make_rows(rows, DEFAULT_COMMUNITIES))
    return path


def slice_without_title(source: Path, rows: int) -> Path:
    """The first `rows` data rows of the same file, without the title row (django-import-export cannot skip it)."""
    from generate_import import DEFAULT_COMMUNITIES, write_xlsx
    from generate_import import rows as make_rows

    path = BENCH_DIR / f"households-{rows}-of-{source.stem}.xlsx"
    if not path.exists():
        write_xlsx(path, make_rows(rows, DEFAULT_COMMUNITIES), title=None)
    return path


def child_read(path: str, reader: str) -> dict:
    started = time.perf_counter()
    count = 0
    if reader == "calamine":
        import python_calamine

        sheet = python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_index(0)
        for _row in sheet.iter_rows():
            count += 1
    else:
        import openpyxl

        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for _row in workbook.worksheets[0].iter_rows(values_only=True):
            count += 1
    return {"rows": count, "seconds": time.perf_counter() - started, "peak_mb": peak_rss_mb()}


def _admin():
    from dalian_minzheng.accounts.models import User

    user, _ = User.objects.get_or_create(
        username="bench_district_admin", defaults={"role": "district_admin", "division_id": "210202"}
    )
    return user


def ensure_cases_file(rows: int) -> Path:
    from generate_import import DEFAULT_COMMUNITIES, case_rows, write_cases_xlsx

    path = BENCH_DIR / f"cases-{rows}.xlsx"
    if not path.exists():
        write_cases_xlsx(path, case_rows(rows, DEFAULT_COMMUNITIES))
    return path


def _as_role(role: str) -> None:
    """Run the rest of this child's work as `role` (the runtime role: no superuser, triggers always on)."""
    from django.db import connection

    if role:
        with connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {connection.ops.quote_name(role)}")


def _wal_state() -> tuple[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_current_wal_lsn()::text, (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter)"
        )
        lsn, checkpoints = cursor.fetchone()
    return lsn, checkpoints


def _wal_since(lsn: str) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s::pg_lsn)", [lsn])
        return float(cursor.fetchone()[0]) / 1e6


def child_engine(path: str, kind: str = "people.household_members", role: str = "") -> dict:
    setup_django()
    from django.core.files import File
    from django.utils import translation

    from dalian_minzheng.spreadsheets import engine
    from dalian_minzheng.spreadsheets.models import ImportJob, ImportStatus

    translation.activate("zh-hans")
    user = _admin()
    base_mb = peak_rss_mb()
    lsn, checkpoints = _wal_state()
    _as_role(role)
    cpu0, pg0 = own_cpu_seconds(), backend_cpu_seconds()
    started = time.perf_counter()
    job = ImportJob(kind=kind, original_name=Path(path).name, uploaded_by=user, division_id="210202")
    with open(path, "rb") as fh:
        job.file.save(Path(path).name, File(fh), save=False)
    job.save()
    job = engine.validate_job(job.pk)
    validated = time.perf_counter()
    assert job.status == ImportStatus.VALIDATED, job.error_message
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)
    job = engine.commit_job(job.pk)
    done = time.perf_counter()
    wal_mb = _wal_since(lsn)
    return {
        "kind": kind,
        "role": role or "(connecting role)",
        "wal_mb": round(wal_mb, 1),
        "checkpoints_during": _wal_state()[1] - checkpoints,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpu_s": own_cpu_seconds() - cpu0,
        "pg_cpu_s": backend_cpu_seconds() - pg0,
        "rows": job.total_rows,
        "new": job.new_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "rejected": job.rejected_count,
        "validate_s": validated - started,
        "commit_s": done - validated,
        "total_s": done - started,
        "peak_mb": peak_rss_mb(),
        "django_baseline_mb": base_mb,
        "upsert_s": job.report.get("upsert_seconds"),
        "fk_check_s": job.report.get("constraint_check_seconds"),
    }


def child_die(path: str) -> dict:
    setup_django()
    from import_export.formats.base_formats import XLSX

    from dalian_minzheng.people.models import Person
    from dalian_minzheng.spreadsheets.resources import HouseholdMemberResource

    user = _admin()
    cpu0, pg0 = own_cpu_seconds(), backend_cpu_seconds()
    started = time.perf_counter()
    dataset = XLSX().create_dataset(Path(path).read_bytes())
    result = HouseholdMemberResource().import_data(dataset, dry_run=False, user=user)
    done = time.perf_counter()
    return {
        "cpu_s": own_cpu_seconds() - cpu0,
        "pg_cpu_s": backend_cpu_seconds() - pg0,
        "rows": len(dataset),
        "errors": len(result.row_errors()) + len(result.invalid_rows),
        "persons": Person.objects.count(),
        "total_s": done - started,
        "peak_mb": peak_rss_mb(),
    }


def default_role() -> str:
    """settings.DB_RUNTIME_ROLE when it exists in the cluster (manage.py setup_db_roles), else the connecting role."""
    from django.conf import settings
    from django.db import connection

    role = getattr(settings, "DB_RUNTIME_ROLE", "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        return role if cursor.fetchone() else ""


def quiesce() -> None:
    """The same starting state for every measured part: statistics of the emptied tables, no dead rows, and a
    CHECKPOINT, so no checkpoint requested by WAL volume falls into the measured commit."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("people_person", "people_household", "people_householdmember", "assistance_application",
                      "assistance_case", "assistance_caseamountchange", "assistance_timelineevent"):  # fmt: skip
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("CHECKPOINT")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--die-rows", type=int, default=5_000)
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--skip-openpyxl", action="store_true", help="openpyxl takes minutes on 100k rows")
    parser.add_argument("--child", nargs="+")
    parser.add_argument("--only-cases", action="store_true", help="only the existing-cases kind (assistance.cases)")
    parser.add_argument(
        "--role",
        default=None,
        help="database role the imports run as (SET ROLE); default the runtime role if it exists, '' = as connected",
    )
    args = parser.parse_args()
    if args.child:
        what, path, *rest = args.child
        role = rest[0] if rest else ""
        handlers = {
            "engine": lambda p: child_engine(p, role=role),
            "engine_cases": lambda p: child_engine(p, "assistance.cases", role=role),
            "die": child_die,
            "calamine": lambda p: child_read(p, "calamine"),
            "openpyxl": lambda p: child_read(p, "openpyxl"),
        }
        print(json.dumps(handlers[what](path)))
        return
    if not args.reset:
        raise SystemExit("pass --reset: the benchmark empties the people tables of DATABASE_URL's database")
    setup_django()
    role = default_role() if args.role is None else args.role
    print(f"machine: {machine_info()}; imports run as role {role or '(connecting role)'}")
    results: dict = {"rows": args.rows, "role": role, "load_average_start": [round(x, 2) for x in os.getloadavg()]}
    if not args.only_cases:
        _households(args, role, results)
    # The existing-cases kind (issue 12) side by side: one case per head, a third with the income left blank.
    cases_path = ensure_cases_file(args.rows)
    print(f"file: {cases_path.name} ({cases_path.stat().st_size / 1e6:.1f} MB, {args.rows} cases + header)")
    reset_people()
    quiesce()
    results["cases_new"] = _report(
        "existing cases, full file", run_child(SCRIPT, "engine_cases", str(cases_path), role), None, None
    )
    quiesce()
    results["cases_again"] = _report(
        "existing cases, same file again", run_child(SCRIPT, "engine_cases", str(cases_path), role), None, None
    )
    results["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print("RESULTS " + json.dumps(results))


def _households(args, role: str, results: dict) -> None:
    path = ensure_file(args.rows)
    slice_path = slice_without_title(path, args.die_rows)
    print(f"file: {path.name} ({path.stat().st_size / 1e6:.1f} MB, {args.rows} rows + title + header)")
    for reader in ("calamine",) if args.skip_openpyxl else ("calamine", "openpyxl"):
        r = run_child(SCRIPT, reader, str(path))
        print(
            f"read {reader:9s}: {r['rows']} rows in {r['seconds']:.2f} s = {r['rows'] / r['seconds']:,.0f} rows/s, "
            f"peak {r['peak_mb']:.0f} MB"
        )
        results[f"read_{reader}_rows_per_s"] = round(r["rows"] / r["seconds"])
    reset_people()
    quiesce()
    d = run_child(SCRIPT, "die", str(slice_path))
    die_rate = d["rows"] / d["total_s"]
    die_cpu_rate = d["rows"] / (d["cpu_s"] + d["pg_cpu_s"])
    print(
        f"django-import-export, {d['rows']} rows: {d['total_s']:.1f} s = {die_rate:,.1f} rows/s; CPU Python "
        f"{d['cpu_s']:.1f} s + PostgreSQL {d['pg_cpu_s']:.1f} s = {die_cpu_rate:,.1f} rows per CPU-second; "
        f"errors {d['errors']}, peak {d['peak_mb']:.0f} MB, load {os.getloadavg()[0]:.2f}"
    )
    results["die"] = {**d, "rows_per_s": round(die_rate, 1), "load_average": [round(x, 2) for x in os.getloadavg()]}
    reset_people()
    quiesce()
    results["same_rows"] = _report(
        "engine, same rows", run_child(SCRIPT, "engine", str(slice_path), role), die_rate, die_cpu_rate
    )
    reset_people()
    quiesce()
    results["households_new"] = _report(
        "engine, full file", run_child(SCRIPT, "engine", str(path), role), die_rate, die_cpu_rate
    )
    quiesce()
    results["households_again"] = _report(
        "engine, same file again", run_child(SCRIPT, "engine", str(path), role), die_rate, die_cpu_rate
    )


def _report(title: str, e: dict, die_rate: float | None, die_cpu_rate: float | None) -> dict:
    cpu = e["cpu_s"] + e["pg_cpu_s"]
    rate = e["rows"] / e["total_s"]
    versus = f" ({rate / die_rate:.0f}x django-import-export)" if die_rate else ""
    versus_cpu = f" ({e['rows'] / cpu / die_cpu_rate:.0f}x)" if die_cpu_rate else ""
    print(
        f"{title}, {e['rows']} rows: validate {e['validate_s']:.1f} s + commit {e['commit_s']:.1f} s = "
        f"{e['total_s']:.1f} s wall = {rate:,.0f} rows/s{versus}; "
        f"CPU Python {e['cpu_s']:.1f} s + PostgreSQL {e['pg_cpu_s']:.1f} s = {e['rows'] / cpu:,.0f} rows per "
        f"CPU-second{versus_cpu}; peak {e['peak_mb']:.0f} MB (Django alone "
        f"{e['django_baseline_mb']:.0f} MB); new {e['new']}, updated {e['updated']}, unchanged {e['unchanged']}, "
        f"rejected {e['rejected']}; commit: upsert statements {e['upsert_s']} s, deferred FK checks "
        f"{e['fk_check_s']} s; "
        f"role {e['role']}, WAL {e['wal_mb']} MB, checkpoints during {e['checkpoints_during']}, "
        f"load {e['load_average'][0]:.2f}"
    )
    return {
        **e,
        "rows_per_s": round(rate),
        "rows_per_cpu_s": round(e["rows"] / cpu),
        "x_die": round(rate / die_rate, 1) if die_rate else None,
    }


if __name__ == "__main__":
    main()
