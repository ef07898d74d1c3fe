"""Demo casework in 中山区 for `make run`, built through the real services (so timelines and deadlines are real):
applications at every step, two receiving cases and next month's roster. Idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from assistance import reference, services
from assistance.models import Application, CheckStatus, Programme
from dalian_minzheng.accounts.models import User
from dalian_minzheng.people import idnumbers

COMMUNITY = "210202001001"
STAFF = "王晓红、刘洋"

# name, birth date, sequence, step reached, programme
APPLICANTS = [
    ("张建华", dt.date(1968, 3, 12), 11, "accepted", "urban_allowance"),
    ("李秀英", dt.date(1972, 7, 5), 22, "investigating", "urban_allowance"),
    ("王桂兰", dt.date(1955, 1, 20), 32, "publicity", "urban_allowance"),
    ("赵志强", dt.date(1980, 11, 2), 41, "pending_decision", "urban_allowance"),
    ("刘国庆", dt.date(1949, 10, 1), 51, "approved", "urban_hardship"),
    ("陈丽华", dt.date(1975, 5, 18), 62, "approved_earlier", "urban_allowance"),
]


def load() -> str:
    reference.load()
    caseworker = User.objects.filter(username="caseworker").first()
    admin = User.objects.filter(username="district_admin").first()
    if caseworker is None or admin is None:
        return "skipped: demo accounts missing"
    if Application.objects.filter(created_by=caseworker).exists():
        return "already loaded"
    today = timezone.localdate()
    programmes = {p.code: p for p in Programme.objects.all()}
    made = 0
    for name, birth, seq, step, code in APPLICANTS:
        accepted = today - dt.timedelta(days=20) if step != "approved_earlier" else dt.date(2026, 3, 2)
        household = services.household_for_applicant(
            acting_user=caseworker,
            division_code=COMMUNITY,
            id_number=idnumbers.make("210202", birth, seq),
            name=name,
            address="大连市中山区海军广场街道人民路" + str(seq) + "号",
            members=[(idnumbers.make("210202", birth + dt.timedelta(days=400), seq + 100), name[0] + "小明", "child")],
        )
        application = services.application_register(
            acting_user=caseworker,
            household_id=household.pk,
            programme_id=programmes[code].pk,
            documents_provided=["申请书", "户口簿", "身份证", "家庭经济状况核对授权书"],
            accepted_on=accepted,
            care_level="half_care" if code == "urban_hardship" else "",
        )
        made += 1
        if step == "accepted":
            continue
        services.application_record_visit(
            application_id=application.pk,
            acting_user=caseworker,
            visited_on=accepted + dt.timedelta(days=2),
            staff_names=STAFF,
            incomes=[(household.head_id, "pension" if code == "urban_hardship" else "wages", Decimal("500"))],
            homes=1,
            living_conditions="房屋老旧，家中无大额资产",
        )
        services.application_set_check_status(application_id=application.pk, status=CheckStatus.PENDING)
        if step == "investigating":
            continue
        services.application_first_review(application_id=application.pk, acting_user=caseworker, opinion="符合条件")
        starts = today - dt.timedelta(days=3) if step == "publicity" else accepted + dt.timedelta(days=5)
        services.notice_start(application_id=application.pk, acting_user=caseworker, starts_on=starts)
        if step == "publicity":
            continue
        services.application_submit(
            application_id=application.pk, acting_user=caseworker, on=starts + dt.timedelta(days=8)
        )
        services.application_set_check_status(application_id=application.pk, status=CheckStatus.CLEAR)
        if step == "pending_decision":
            continue
        decided = starts + dt.timedelta(days=10)
        services.application_approve(
            application_id=application.pk,
            acting_user=admin,
            decided_on=decided,
            bank_name="大连银行",
            bank_account=f"6217{seq:012d}",
        )
    services.build_roster(month=services.add_months(today.replace(day=1), 1), district_code="210202")
    return f"{made} demo applications"
