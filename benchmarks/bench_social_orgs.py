"""Benchmark of issue 16 (social organisations) at Dalian scale, side by side with a per-organisation ORM loop.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/minzheng_bench REDIS_URL=redis://127.0.0.1:6379/5 \
        .venv/bin/python benchmarks/bench_social_orgs.py [--organisations 10000] [--cases 3000] [--import-rows 10000]

It works in a scratch database `<DATABASE_URL's name>_bench_social_orgs` that it drops and recreates. Data:
`--organisations` organisations over every district (the three types), five inspection years (2021–2025) with about
one in twelve missing or late each year, `--cases` enforcement cases at every step, abnormal-list entries (one
organisation in five) listed over four years (mid-2021 to mid-2025: a register in use for years); all set-based.

Measured:
1. Lists: p50/p95 and queries of the registry (plain, search, filters), the credit lists, the cases, the campaign,
   the missing filers of 2025 and an organisation page, as a district admin and the city admin (30 requests each).
2. Listing every missing and late filer of 2025 (`inspection_propose_listings`, one INSERT … SELECT) against a
   per-organisation ORM loop doing the same (inside a rolled-back transaction), on the same data.
3. Escalating the abnormal list city-wide (`listings_escalate`, one statement) against `escalate_per_organisation`
   (the ORM loop, rolled back), on the same data.
4. Importing `--import-rows` organisations through the spreadsheet engine (validate + commit), rows/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import page_timings, scratch_database  # noqa: E402

TYPES = [("association", "1"), ("service_org", "2"), ("foundation", "3")]


def build(options) -> dict:
    from django.db import connection

    from dalian_minzheng.core.db import analyze
    from dalian_minzheng.people.models import Division, DivisionLevel
    from social_orgs.credit_code import make_code
    from social_orgs.models import InspectionYear

    communities = list(
        Division.objects.filter(level=DivisionLevel.COMMUNITY).order_by("code").values_list("code", flat=True)
    )
    tick = time.perf_counter()
    rows = []
    for i in range(options.organisations):
        org_type, digit = TYPES[i % 3]
        community = communities[i % len(communities)]
        code = make_code(digit, community[:6], f"B{i:07d}")
        registered = dt.date(2005, 1, 1) + dt.timedelta(days=(i * 37) % 7300)
        rows.append((code, f"大连社会组织{i}", org_type, f"{community[:6]}民政局", registered, community))
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY social_orgs_organisation (credit_code, name, org_type, registration_authority, registered_on,"
            " division_id, business_scope, supervising_unit, address, party_branch, party_members, status,"
            " status_since, created_at, updated_at) FROM STDIN"
        ) as copy:
            now = dt.datetime.now(dt.UTC)
            for code, name, org_type, authority, registered, division in rows:
                status = "registered"
                copy.write_row((code, name, org_type, authority, registered, division, "", "", "", "none", 0, status,
                                registered, now, now))  # fmt: skip
        for year in range(2021, 2026):
            InspectionYear.objects.get_or_create(
                year=year, defaults={"supervisor_due": dt.date(year + 1, 3, 31),
                                     "authority_due": dt.date(year + 1, 5, 31), "minimum_months": 6},
            )  # fmt: skip
        # five years of reports: one in twelve missing, one in twenty late, concluded mostly qualified
        cursor.execute("""
            INSERT INTO social_orgs_annualinspection (organisation_id, inspection_year_id, submitted_on, late,
                status, conclusion, grounds, concluded_on, rectification_required, rectification_text)
            SELECT o.id, y.id,
                   CASE WHEN (o.id + y.year) % 20 = 0 THEN y.authority_due + 3 ELSE y.authority_due - 10 END,
                   (o.id + y.year) % 20 = 0, 'concluded',
                   CASE WHEN (o.id + y.year) % 31 = 0 THEN 'failed' WHEN (o.id + y.year) % 17 = 0 THEN 'basic'
                        ELSE 'qualified' END,
                   CASE WHEN (o.id + y.year) % 31 = 0 OR (o.id + y.year) % 17 = 0 THEN '{meetings_not_held}'
                        ELSE '{}' END::varchar[],
                   y.authority_due + 20, (o.id + y.year) % 31 = 0 OR (o.id + y.year) % 17 = 0, ''
            FROM social_orgs_organisation o CROSS JOIN social_orgs_inspectionyear y
            WHERE o.registered_on <= (make_date(y.year, 12, 31) - interval '6 months')::date
              AND (o.id + y.year) % 12 <> 0""")
        cursor.execute(
            """
            INSERT INTO social_orgs_enforcementcase (organisation_id, group_name, division_id, case_number, source,
                category, facts, step, filed_on, hearing_requested, statement, decisions, rectification_ordered,
                created_at, served_on, decided_on, rectified)
            SELECT o.id, '', o.division_id, 'B' || o.id, (ARRAY['inspection','complaint','referral'])[1 + o.id %% 3],
                   (ARRAY['illegal_profit','illegal_fees','outside_scope','no_activity','finance'])[1 + o.id %% 5],
                   '违规收费', (ARRAY['filed','investigating','notified','decided','served','executed','closed'])
                   [1 + o.id %% 7], date '2026-01-05' + (o.id %% 300)::int, false, '',
                   CASE WHEN o.id %% 7 >= 3 THEN ARRAY['warning']::varchar[] ELSE '{}'::varchar[] END,
                   o.id %% 2 = 0, now(),
                   CASE WHEN o.id %% 7 >= 4 THEN date '2026-01-20' + (o.id %% 300)::int END,
                   CASE WHEN o.id %% 7 >= 3 THEN date '2026-01-15' + (o.id %% 300)::int END,
                   CASE WHEN o.id %% 7 = 6 AND o.id %% 2 = 0 THEN true END
            FROM social_orgs_organisation o ORDER BY o.id LIMIT %s""",
            [options.cases],
        )
        cursor.execute("""
            INSERT INTO social_orgs_listing (organisation_id, list_kind, ground, ground_text, source, status,
                found_on, due_on, listed_on, end_reason, reference)
            SELECT o.id, 'abnormal', 'unreachable', '通过登记的住所无法与社会组织取得联系', 'manual', 'listed',
                   date '2021-06-01' + (o.id % 1461)::int, date '2021-06-08' + (o.id % 1461)::int,
                   date '2021-06-01' + (o.id % 1461)::int, '', ''
            FROM social_orgs_organisation o WHERE o.id % 5 = 0""")
    analyze()
    counts = {}
    with connection.cursor() as cursor:
        for table in ("organisation", "annualinspection", "enforcementcase", "listing"):
            cursor.execute(f"SELECT count(*) FROM social_orgs_{table}")
            counts[table] = cursor.fetchone()[0]
    counts["build_s"] = round(time.perf_counter() - tick, 1)
    return counts


def pages(users) -> list[dict]:
    from social_orgs.models import Organisation

    org = Organisation.objects.filter(division__code__startswith="210202", cases__isnull=False).order_by("id").first()
    urls = [
        ("registry", "/social-orgs/organisations/"),
        ("registry, search", "/social-orgs/organisations/?q=社会组织12"),
        ("registry, abnormal list", "/social-orgs/organisations/?listed=abnormal&org_type=association"),
        ("credit lists", "/social-orgs/listings/?status=active"),
        ("cases, open", "/social-orgs/cases/?step=open"),
        ("campaign", "/social-orgs/campaign/?year=2026"),
        ("missing filers 2025", "/social-orgs/inspections/2025/"),
        ("overview", "/social-orgs/"),
        ("organisation page", f"/social-orgs/organisations/{org.pk}/"),
    ]
    return page_timings(users, urls)


def missing_filers(user) -> dict:
    """The set-based proposal against a per-organisation ORM loop doing the same, on the same data."""
    from django.db import transaction

    from dalian_minzheng.core import workdays
    from social_orgs import services
    from social_orgs.models import (
        AnnualInspection,
        InspectionYear,
        Listing,
        Organisation,
        OrganisationTimelineEntry,
    )

    on = dt.date(2026, 6, 15)
    year = InspectionYear.objects.get(year=2025)
    due = workdays.add_workdays(on, 5)
    tick = time.perf_counter()
    n_loop = 0
    with transaction.atomic():
        for org in Organisation.objects.filter(services.inspections.required_filers(year)).iterator():
            if AnnualInspection.objects.filter(organisation=org, inspection_year=year, late=False).exists():
                continue
            if Listing.objects.filter(organisation=org, list_kind="abnormal", ground="report_missing",
                                      status__in=["proposed", "listed"]).exists():  # fmt: skip
                continue
            Listing.objects.create(organisation=org, list_kind="abnormal", ground="report_missing",
                                   ground_text="未按照规定时限报送年度工作报告", source="inspection",
                                   status="proposed", found_on=on, due_on=due, reference="2025")  # fmt: skip
            OrganisationTimelineEntry.objects.create(organisation=org, kind="listing", text="拟列入")
            n_loop += 1
        transaction.set_rollback(True)
    loop = time.perf_counter() - tick
    tick = time.perf_counter()
    n = services.inspection_propose_listings(acting_user=user, year=2025, on=on)
    set_based = time.perf_counter() - tick
    assert n == n_loop, (n, n_loop)
    return {"proposed": n, "set_based_s": round(set_based, 3), "orm_loop_s": round(loop, 2),
            "ratio": round(loop / set_based, 1)}  # fmt: skip


def escalation() -> dict:
    from django.db import transaction

    from social_orgs import services

    on = dt.date(2026, 6, 15)
    tick = time.perf_counter()
    with transaction.atomic():
        n_loop = services.escalate_per_organisation(on=on)
        transaction.set_rollback(True)
    loop = time.perf_counter() - tick
    tick = time.perf_counter()
    n = services.listings_escalate(on=on)
    set_based = time.perf_counter() - tick
    assert n == n_loop, (n, n_loop)
    return {"escalated": n, "set_based_s": round(set_based, 3), "orm_loop_s": round(loop, 2),
            "ratio": round(loop / set_based, 1)}  # fmt: skip


def registry_import(user, rows: int) -> dict:
    import openpyxl
    from django.core.files.base import ContentFile

    from dalian_minzheng.people import idnumbers
    from dalian_minzheng.spreadsheets import engine
    from dalian_minzheng.spreadsheets.models import ImportJob, ImportStatus
    from social_orgs.credit_code import make_code
    from social_orgs.models import Organisation

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["统一社会信用代码", "社会组织名称", "类型", "登记管理机关", "成立登记日期", "区划代码", "法定代表人",
                  "法定代表人身份证号", "业务范围", "党员人数"])  # fmt: skip
    labels = {"1": "社会团体", "2": "社会服务机构", "3": "基金会"}
    for i in range(rows):
        digit = "123"[i % 3]
        rep = idnumbers.make("210202", dt.date(1960 + i % 30, 1 + i % 12, 1 + i % 28), i % 1000)
        sheet.append([make_code(digit, "210202", f"K{i:07d}"), f"导入社会组织{i}", labels[digit], "中山区民政局",
                      dt.date(2010, 1, 1) + dt.timedelta(days=i % 4000), "210202001001", f"王{i % 100}",
                      rep if i % 2 == 0 else "", "开展公益服务", i % 9])  # fmt: skip
    buffer = io.BytesIO()
    book.save(buffer)
    job = ImportJob(kind="social_orgs.organisations", original_name="orgs.xlsx", uploaded_by=user,
                    division_id="210200")  # fmt: skip
    job.file.save("orgs.xlsx", ContentFile(buffer.getvalue()), save=False)
    job.save()
    before = Organisation.objects.count()
    tick = time.perf_counter()
    job = engine.validate_job(job.pk)
    validate = time.perf_counter() - tick
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)
    tick = time.perf_counter()
    job = engine.commit_job(job.pk)
    commit = time.perf_counter() - tick
    assert job.status == ImportStatus.COMMITTED, job.error_message
    return {"rows": rows, "added": Organisation.objects.count() - before, "validate_s": round(validate, 2),
            "commit_s": round(commit, 2), "rows_per_s": round(rows / (validate + commit)),
            "commit_report": {k: v for k, v in job.report.items() if k.endswith("seconds")}}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organisations", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--import-rows", type=int, default=10_000)
    options = parser.parse_args()
    os.environ["DATABASE_URL"] = scratch_database("bench_social_orgs")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dalian_minzheng.settings")
    os.environ["CONN_MAX_AGE"] = "0"
    os.environ.setdefault("MEDIA_ROOT", str(ROOT / "var" / "bench-media"))
    os.environ.setdefault("MANIFEST_STATIC", "false")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    subprocess.run(
        [sys.executable, "manage.py", "load_reference_data"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )
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
        "missing_filers": missing_filers(city_admin),
        "escalation": escalation(),
        "registry_import": registry_import(city_admin, options.import_rows),
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
