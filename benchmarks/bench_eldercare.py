"""Benchmark of issue 15 (eldercare) at Dalian scale, side by side with a plain ORM loop where one applies.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/minzheng_bench REDIS_URL=redis://127.0.0.1:6379/5 \
        .venv/bin/python benchmarks/bench_eldercare.py [--households 100000] [--facilities 3000] \
        [--residents 60000] [--services 2000000] [--import-rows 100000]

It works in a scratch database `<DATABASE_URL's name>_bench_eldercare` that it drops and recreates (migrate,
reference data). Data: ≈290,000 kernel persons (`people.scale.generate`), 3,000 facilities over every community
(institutions, centres, stations), 60,000 residents with ability levels, 2,000,000 service records (a year), set-based.

Measured:
1. Lists: p50/p95 and queries of the facility list, the hazard list and a facility page (the Django test client,
   as a district admin and the city admin), 30 requests each after a warm-up.
2. The city's monthly operating subsidy lists (every district, `subsidy_list_compute`) against a per-facility ORM
   loop computing the same amounts.
3. The planning view over every street (`selectors.planning` and the page) as the city admin.
4. Importing `--import-rows` service records through the spreadsheet engine (validate + commit), rows/s, against
   a per-row ORM `update_or_create` loop on 5,000 of them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import page_timings, scratch_database  # noqa: E402


def build(options) -> dict:
    from django.db import connection

    from dalian_minzheng.core.db import analyze
    from dalian_minzheng.people import scale
    from eldercare.models import Facility, Resident, ServiceRecord

    timings = {}
    tick = time.monotonic()
    scale.generate(options.households, seed=15)
    timings["persons_s"] = round(time.monotonic() - tick, 1)
    tick = time.monotonic()
    with connection.cursor() as cursor:
        # facilities spread over every community: every third an institution, the others centres and stations
        cursor.execute(
            """
            INSERT INTO eldercare_facility (name, kind, institution_type, legal_form, operator, ownership,
                social_forces, build_status, beds, occupied_beds, staff, carers, services, division_id, address,
                is_demonstration, opened_on, filed_on, filing_number, star_grade, grade_suspended,
                on_dishonesty_list, created_at, updated_at)
            SELECT '养老设施' || g, CASE g %% 3 WHEN 0 THEN 'institution' WHEN 1 THEN 'centre' ELSE 'station' END,
                   CASE WHEN g %% 3 = 0 THEN 'private' ELSE '' END, 'non_profit', '运营方' || g, '', g %% 10 <> 0,
                   'operating', CASE WHEN g %% 3 = 0 THEN 100 ELSE 10 END, 0, 10, 5, '{}', c.code, '',
                   g %% 60 = 0, DATE '2018-01-01', DATE '2018-02-01', 'B' || g,
                   CASE WHEN g %% 3 = 0 THEN 1 + g %% 5 END, false, false, now(), now()
            FROM generate_series(1, %(n)s) g
            JOIN LATERAL (SELECT code FROM people_division WHERE level = 4 ORDER BY code
                          OFFSET (g * 7919) %% (SELECT count(*) FROM people_division WHERE level = 4) LIMIT 1) c ON true
            """,
            {"n": options.facilities},
        )
        # residents: persons aged 60+ in institutions, round robin, ability levels 0–4
        cursor.execute(
            """
            WITH inst AS (SELECT id, row_number() OVER (ORDER BY id) AS k, count(*) OVER () AS n
                          FROM eldercare_facility WHERE kind = 'institution'),
                 old AS (SELECT id, row_number() OVER (ORDER BY id) AS k FROM people_person
                         WHERE birth_date <= DATE '1966-01-01' LIMIT %(n)s)
            INSERT INTO eldercare_resident (facility_id, person_id, status, admitted_on, risks, risk_measures,
                                            ability_level, left_reason)
            SELECT inst.id, old.id, 'admitted', DATE '2024-01-01' + (old.k %% 600)::int, '{}', '{}', old.k %% 5, ''
            FROM old JOIN inst ON inst.k = 1 + old.k %% inst.n
            """,
            {"n": options.residents},
        )
        residents = cursor.rowcount
        cursor.execute(
            """UPDATE eldercare_facility f SET occupied_beds = least(f.beds, r.n)
               FROM (SELECT facility_id, count(*) AS n FROM eldercare_resident GROUP BY 1) r
               WHERE r.facility_id = f.id"""
        )
        # a year of service records at the centres and stations: (facility, day, kind) rows with a quantity
        cursor.execute(
            """
            INSERT INTO eldercare_servicerecord (facility_id, division_id, person_id, kind, served_on, quantity,
                                                 hours, stopped_by_death)
            SELECT f.id, f.division_id, NULL, k.kind, DATE '2025-12-01' + d, 1 + (f.id + d) %% 40, NULL, false
            FROM (SELECT id, division_id FROM eldercare_facility WHERE kind <> 'institution') f
            CROSS JOIN generate_series(0, 364) d
            CROSS JOIN (VALUES ('meals'), ('day_care'), ('bathing'), ('visits')) k(kind)
            LIMIT %(n)s
            """,
            {"n": options.services},
        )
        services = cursor.rowcount
        # a hazard per tenth facility, half overdue
        cursor.execute(
            """
            INSERT INTO eldercare_hazard (facility_id, division_id, description, severity, situation_code, found_on,
                deadline_workdays, due_on, status, evidence, rectification_note, rectification_evidence)
            SELECT id, division_id, '隐患' || id, 'general', '', DATE '2026-10-01', 10,
                   CASE WHEN id % 2 = 0 THEN DATE '2026-10-15' ELSE DATE '2027-01-15' END, 'open', '', '', ''
            FROM eldercare_facility WHERE id % 10 = 0
            """
        )
    analyze(Facility, Resident, ServiceRecord)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE eldercare_hazard; ANALYZE people_person")
    timings["eldercare_s"] = round(time.monotonic() - tick, 1)
    from dalian_minzheng.people.models import Person

    return {
        "persons": Person.objects.count(),
        "facilities": Facility.objects.count(),
        "residents": residents,
        "services": services,
        **timings,
    }


def pages(users) -> list[dict]:
    from eldercare.models import Facility

    institution = (
        Facility.objects.filter(kind="institution", division__code__startswith="210202").order_by("id").first()
    )
    urls = [
        ("facility list", "/eldercare/facilities/"),
        ("facility list, search", "/eldercare/facilities/?q=养老设施1&kind=institution"),
        ("hazard list, overdue", "/eldercare/hazards/?overdue=on"),
        ("resident list", "/eldercare/residents/"),
        ("resident list, level 4", "/eldercare/residents/?level=4"),
        ("facility page", f"/eldercare/facilities/{institution.pk}/"),
        ("planning", "/eldercare/planning/"),
    ]
    return page_timings(users, urls)


def subsidy_lists() -> dict:
    from decimal import Decimal

    from django.db import transaction

    from dalian_minzheng.people.models import Division, DivisionLevel
    from eldercare import services
    from eldercare.models import Facility, OperatingSubsidyRate, Resident

    month = dt.date(2026, 10, 1)
    districts = list(Division.objects.filter(level=DivisionLevel.DISTRICT).values_list("code", flat=True))
    tick = time.perf_counter()
    total = sum(services.subsidy_list_compute(district_code=code, month=month).total for code in districts)
    set_based = time.perf_counter() - tick
    again_tick = time.perf_counter()
    again = sum(services.subsidy_list_compute(district_code=code, month=month).total for code in districts)
    rerun = time.perf_counter() - again_tick
    # the ORM loop: per facility, its residents of the month by level, times the rate
    tick = time.perf_counter()
    with transaction.atomic():
        rates = {r.level: r.per_bed_month for r in OperatingSubsidyRate.objects.in_force(on=month)}
        loop_total = Decimal(0)
        for facility in Facility.objects.filter(kind="institution", build_status="operating"):
            for resident in Resident.objects.filter(facility=facility, admitted_on__lte=dt.date(2026, 10, 31)):
                if resident.left_on is None or resident.left_on >= month:
                    loop_total += rates.get(resident.ability_level or 0, Decimal(0))
    loop = time.perf_counter() - tick
    assert loop_total == total == again, (loop_total, total, again)
    return {
        "set_based_s": round(set_based, 3),
        "rerun_s": round(rerun, 3),
        "orm_loop_s": round(loop, 2),
        "ratio": round(loop / set_based, 1),
        "total_yuan": str(total),
        "districts": len(districts),
    }


def planning_view(user) -> dict:
    from eldercare import selectors

    selectors.planning(user=user)
    times = []
    for _ in range(10):
        tick = time.perf_counter()
        plan = selectors.planning(user=user)
        times.append((time.perf_counter() - tick) * 1000)
    times.sort()
    return {
        "streets": len(plan["streets"]),
        "older": plan["older_total"],
        "p50_ms": round(statistics.median(times), 1),
        "max_ms": round(times[-1], 1),
    }


def service_import(user, rows: int) -> dict:
    import openpyxl
    from django.core.files.base import ContentFile
    from django.db import transaction

    from dalian_minzheng.spreadsheets import engine
    from dalian_minzheng.spreadsheets.models import ImportJob, ImportStatus
    from eldercare.models import Facility, ServiceRecord

    facilities = list(Facility.objects.exclude(kind="institution").values_list("name", "division_id")[:400])
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["机构名称", "区划代码", "服务日期", "服务项目", "数量"])
    kinds = ["就餐", "助浴", "日间照料", "探访", "娱乐"]
    made = 0
    for day in range(300):
        for name, division in facilities:
            if made == rows:
                break
            sheet.append(
                [
                    name,
                    division,
                    (dt.date(2024, 12, 1) + dt.timedelta(days=day)).isoformat(),
                    kinds[day % 5],
                    1 + made % 30,
                ]
            )
            made += 1
    buffer = io.BytesIO()
    book.save(buffer)
    job = ImportJob(kind="eldercare.services", original_name="services.xlsx", uploaded_by=user, division_id="210200")
    job.file.save("services.xlsx", ContentFile(buffer.getvalue()), save=False)
    job.save()
    before = ServiceRecord.objects.count()
    tick = time.perf_counter()
    job = engine.validate_job(job.pk)
    validate = time.perf_counter() - tick
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)
    tick = time.perf_counter()
    job = engine.commit_job(job.pk)
    commit = time.perf_counter() - tick
    assert job.status == ImportStatus.COMMITTED, job.error_message
    added = ServiceRecord.objects.count() - before
    # the ORM loop on 5,000 rows of the same kind (inside a rolled-back transaction)
    by_name = {(f.name, f.division_id): f for f in Facility.objects.exclude(kind="institution")[:400]}
    sample = [(name, division) for name, division in facilities][:400]
    tick = time.perf_counter()
    loop_rows = 5000
    with transaction.atomic():
        for i in range(loop_rows):
            name, division = sample[i % len(sample)]
            ServiceRecord.objects.update_or_create(
                facility=by_name[(name, division)],
                served_on=dt.date(2023, 1, 1) + dt.timedelta(days=i // len(sample)),
                kind="meals",
                person=None,
                defaults={"division_id": division, "quantity": 1 + i % 30},
            )
        transaction.set_rollback(True)
    loop = time.perf_counter() - tick
    rate = rows / (validate + commit)
    return {
        "rows": rows,
        "added": added,
        "validate_s": round(validate, 2),
        "commit_s": round(commit, 2),
        "rows_per_s": round(rate),
        "orm_rows_per_s": round(loop_rows / loop),
        "ratio": round(rate / (loop_rows / loop), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--facilities", type=int, default=3000)
    parser.add_argument("--residents", type=int, default=60_000)
    parser.add_argument("--services", type=int, default=2_000_000)
    parser.add_argument("--import-rows", type=int, default=100_000)
    options = parser.parse_args()
    os.environ["DATABASE_URL"] = scratch_database("bench_eldercare")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dalian_minzheng.settings")
    os.environ["CONN_MAX_AGE"] = "0"
    os.environ.setdefault("MEDIA_ROOT", str(ROOT / "var" / "bench-media"))
    os.environ.setdefault("MANIFEST_STATIC", "false")  # pages render without a collectstatic run
    tick = time.monotonic()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    subprocess.run(
        [sys.executable, "manage.py", "load_reference_data"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )
    print(f"scratch database ready in {time.monotonic() - tick:.0f} s", file=sys.stderr)
    import django

    django.setup()
    from bench_checks import machine

    from dalian_minzheng.accounts.models import User

    load = os.getloadavg()
    data = build(options)
    print(f"data: {data}", file=sys.stderr)
    district_admin = User.objects.create_user("bench_da", role="district_admin", division_id="210202")
    city_admin = User.objects.create_user("bench_city", role="city_admin", division_id="210200")
    result = {
        "machine": machine(),
        "load_before": [round(x, 2) for x in load],
        "data": data,
        "pages": pages([district_admin, city_admin]),
        "subsidy_lists": subsidy_lists(),
        "planning": planning_view(city_admin),
        "service_import": service_import(city_admin, options.import_rows),
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
