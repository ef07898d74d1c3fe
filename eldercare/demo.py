"""Demo eldercare register for `make run`, built through the services (timelines, deadlines and grades are real):
an institution, a centre and a station in every district, filings, inspections with open and closed hazards (one
major), star ratings at several grades, residents at every ability level, a month of services, last month's
operating subsidy list for 中山区, and the demo operator account linked to its centre. Idempotent."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dalian_minzheng.accounts.models import User
from dalian_minzheng.people import idnumbers
from dalian_minzheng.people.models import Division, DivisionLevel
from eldercare import reference, services
from eldercare.models import Facility, FacilityOperator, ServiceRecord

OPERATOR_FACILITY = "海军广场颐养中心"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["秀英", "桂兰", "淑珍", "玉兰", "凤英", "建国", "国华", "德明", "志强", "振华", "玉珍", "春生"]
RISKS = {code: "low" for code, _name in reference.SAFETY_RISKS}
# a total per ability level: 能力完好, 轻度, 中度, 重度, 完全失能
LEVEL_TOTALS = [90, 75, 55, 38, 12]


def _scores(total: int) -> dict[str, int]:
    result, left = {}, total
    for code, _dimension, _name, maximum in reference.ABILITY_ITEMS:
        result[code] = min(maximum, left)
        left -= result[code]
    return result


def _area_scores(total: int) -> dict[str, int]:
    result = {code: int(maximum * total / 1000) for code, _n, maximum in reference.AREAS}
    result["service"] += total - sum(result.values())
    return result


def load() -> str:
    reference.load()
    admin = User.objects.filter(username="city_admin").first()
    if admin is None:
        return "skipped: demo accounts missing"
    if Facility.objects.filter(name=OPERATOR_FACILITY).exists():
        return "already loaded"
    today = timezone.localdate()
    conditions = {code: True for code, _text, _grade in reference.CONDITIONS}
    districts = list(Division.objects.filter(level=DivisionLevel.DISTRICT).order_by("code"))
    made, residents = 0, 0
    for d_index, district in enumerate(districts):
        communities = list(
            Division.objects.filter(level=DivisionLevel.COMMUNITY, code__startswith=district.code).order_by("code")[:3]
        )
        if len(communities) < 3:
            continue
        short = district.name.replace("区", "").replace("市", "").replace("县", "")
        institution = services.facility_register(
            acting_user=admin,
            division=communities[0].code,
            name=f"{short}福寿养老院",
            kind="institution",
            institution_type="private" if d_index % 2 else "public_private",
            legal_form="non_profit",
            operator=f"{short}福寿养老服务有限公司",
            social_forces=True,
            beds=120,
            staff=30,
            carers=18,
            services=["residential", "nursing", "meals"],
            address=f"{district.name}福寿路{d_index + 1}号",
            opened_on=dt.date(2019, 5, 1),
            first_resident_on=dt.date(2019, 5, 10),
        )
        services.facility_file(
            acting_user=admin,
            facility_id=institution.pk,
            filed_on=dt.date(2019, 5, 20),
            filing_number=f"大民养备{2019}{d_index + 1:03d}",
        )
        centre_name = OPERATOR_FACILITY if district.code == "210202" else f"{short}居家和社区养老服务中心"
        centre = services.facility_register(
            acting_user=admin,
            division="210202001001" if district.code == "210202" else communities[1].code,
            name=centre_name,
            kind="centre",
            legal_form="non_profit",
            operator=f"{short}颐康社会工作服务中心",
            social_forces=d_index != 3,
            beds=20,
            staff=8,
            carers=4,
            services=["day_care", "meals", "bathing", "recreation"],
            is_demonstration=d_index < 5,
            demonstration_year=2018 if d_index < 5 else None,
            opened_on=dt.date(2018, 3, 1),
        )
        services.facility_register(
            acting_user=admin,
            division=communities[2].code,
            name=f"{short}{communities[2].name}养老服务站",
            kind="station",
            legal_form="unregistered",
            social_forces=True,
            services=["meals", "visits"],
            opened_on=dt.date(2021, 9, 1),
        )
        made += 3
        # a star rating at a grade that varies by district (rated in 2025, valid until 2028)
        grade_total = [920, 780, 650, 500, 350][d_index % 5]
        application = services.rating_apply(
            acting_user=admin, facility_id=institution.pk, grade=5, on=dt.date(2025, 6, 2)
        )
        services.rating_record_scores(
            acting_user=admin,
            application_id=application.pk,
            scores=_area_scores(grade_total),
            conditions=conditions,
            on=dt.date(2025, 6, 20),
        )
        services.rating_committee_decide(
            acting_user=admin, application_id=application.pk, credit_ok=True, on=dt.date(2025, 7, 1)
        )
        services.rating_finalize(acting_user=admin, application_id=application.pk, on=dt.date(2025, 7, 9))
        # an inspection this autumn: one hazard rectified and closed, one open (overdue in even districts)
        inspection = services.inspection_record(
            acting_user=admin,
            facility_id=institution.pk,
            kind="fire",
            inspected_on=dt.date(2026, 10, 12 + d_index % 5),
            inspectors="市民政局 王刚、李静",
            checklist={"extinguishers": True, "alarm": True, "drill": True, "sprinklers": d_index % 4 != 0},
            hazards=[
                {"description": "疏散通道堆放杂物", "severity": "general", "deadline_workdays": 5},
                {
                    "description": "灭火器压力不足" if d_index % 4 else "自动喷水灭火系统损坏",
                    "severity": "general" if d_index % 4 else "major",
                    "situation_code": "" if d_index % 4 else "f03",
                    "deadline_workdays": 10 if d_index % 2 == 0 else 60,
                },
            ],
        )
        first = inspection.hazards.order_by("id").first()
        services.hazard_rectify(
            acting_user=admin, hazard_id=first.pk, note="已清理通道并张贴警示标识", on=dt.date(2026, 10, 20)
        )
        services.hazard_reinspect(acting_user=admin, hazard_id=first.pk, passed=True, on=dt.date(2026, 10, 22))
        # residents at every ability level
        for i, total in enumerate(LEVEL_TOTALS * 2):
            birth = dt.date(1930 + (i * 3 + d_index) % 20, 1 + i % 12, 1 + (i * 5) % 27)
            number = idnumbers.make(district.code, birth, 500 + d_index * 20 + i)
            name = SURNAMES[(i + d_index) % len(SURNAMES)] + GIVEN[(i * 7 + d_index) % len(GIVEN)]
            resident = services.resident_admit(
                acting_user=admin,
                facility_id=institution.pk,
                id_number=number,
                name=name,
                admitted_on=dt.date(2024, 1 + i % 12, 5),
                risks={**RISKS, "fall": "high" if i % 3 == 0 else "low"},
                measures={"fall": "床栏、防滑垫、夜间巡视"},
            )
            services.ability_assess(
                acting_user=admin,
                resident_id=resident.pk,
                assessed_on=dt.date(2026, 9, 10),
                reason="routine",
                scores=_scores(total),
                raise_reason="dementia" if i == 6 else "",
            )
            residents += 1
        # a month of services at the centre (meals every working day, a bath a week, day care)
        month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        rows = []
        day = month
        while day.month == month.month:
            if day.weekday() < 5:
                rows.append(
                    ServiceRecord(
                        facility=centre,
                        division_id=centre.division_id,
                        kind="meals",
                        served_on=day,
                        quantity=30 + d_index,
                    )
                )
                rows.append(
                    ServiceRecord(
                        facility=centre,
                        division_id=centre.division_id,
                        kind="day_care",
                        served_on=day,
                        quantity=12,
                        hours=48,
                    )
                )
            if day.weekday() == 2:
                rows.append(
                    ServiceRecord(
                        facility=centre, division_id=centre.division_id, kind="bathing", served_on=day, quantity=6
                    )
                )
            day += dt.timedelta(days=1)
        ServiceRecord.objects.bulk_create(rows)
    operator = User.objects.filter(username="operator").first()
    centre = Facility.objects.filter(name=OPERATOR_FACILITY).first()
    if operator is not None and centre is not None:
        FacilityOperator.objects.get_or_create(user=operator, defaults={"facility": centre})
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    services.subsidy_list_compute(district_code="210202", month=last_month)
    services.ratings_expire(on=today)
    return f"{made} facilities, {residents} residents"
