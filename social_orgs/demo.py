"""Demo social-organisation register for `make run`, built through the services (timelines, deadlines, lists and
grades are real): organisations of each type in every district, last year's inspection under way with missing and
late filers proposed, listed and removed entries, a graded evaluation and one in notice, enforcement cases at every
step (one revoked, one suspended, one rectified), and purchased-service projects in every state. Idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from dalian_minzheng.accounts.models import User
from dalian_minzheng.core.workdays import add_workdays
from dalian_minzheng.people import idnumbers
from dalian_minzheng.people.models import Division, DivisionLevel
from social_orgs import reference, services
from social_orgs.credit_code import make_code
from social_orgs.models import TYPE_DIGIT, InspectionYear, Listing, Organisation, OrgType

NAMES = {
    OrgType.ASSOCIATION: ["{d}养老服务协会", "{d}书法家协会", "{d}志愿者联合会", "{d}餐饮行业协会"],
    OrgType.SERVICE_ORG: ["{d}阳光社会工作服务中心", "{d}康乐养老院", "{d}启智培训学校"],
    OrgType.FOUNDATION: ["{d}慈善基金会"],
}


def _rep_id(n: int) -> str:
    return idnumbers.make("210202", dt.date(1960 + n % 30, 1 + n % 12, 1 + n % 28), 500 + n)


def load() -> str:
    reference.load()
    admin = User.objects.filter(username="city_admin").first()
    if admin is None:
        return "skipped: demo accounts missing"
    if Organisation.objects.exists():
        return "already loaded"
    today = timezone.localdate()
    districts = [d for d in Division.objects.filter(level=DivisionLevel.DISTRICT).order_by("code") if len(d.code) >= 6]
    orgs = []
    serial = 0
    for d_index, district in enumerate(districts):
        short = district.name.replace("区", "").replace("市", "").replace("县", "")
        # registered where they are based: the communities of the district (the demo caseworker's street first)
        places = list(
            Division.objects.filter(level=DivisionLevel.COMMUNITY, code__startswith=district.code).order_by("code")[:3]
        ) or [district]
        for org_type, names in NAMES.items():
            for n_index, pattern in enumerate(names):
                serial += 1
                body = f"MJ{serial:06d}"
                registered = dt.date(2014 + (serial % 9), 1 + serial % 12, 1 + serial % 27)
                orgs.append(
                    services.organisation_register(
                        acting_user=admin, division=places[serial % len(places)].code,
                        credit_code=make_code(TYPE_DIGIT[org_type],
                        district.code[:6], body), org_type=org_type, name=pattern.format(d=short),
                        registration_authority=f"{district.name}民政局" if n_index else "大连市民政局",
                        registered_on=registered, legal_representative_id_number=_rep_id(serial),
                        legal_representative_name="王李张刘陈杨赵黄周吴"[serial % 10] + "建国",
                        business_scope="开展行业交流、培训、咨询服务", supervising_unit=f"{district.name}民政局",
                        address=f"{district.name}人民路{serial}号", party_branch="own" if serial % 3 == 0 else "none",
                        party_members=serial % 9,
                    )
                )  # fmt: skip
        if d_index >= 3:
            break  # four districts are enough to show every state
    year = today.year - 1
    inspection_year = services.inspection_year_open(acting_user=admin, year=year - 1)
    current_year = services.inspection_year_open(acting_user=admin, year=year)
    filers = [o for o in orgs if services.must_file(o, inspection_year)]
    # the year before last: everyone filed, most qualified; three not, which the cases below follow up
    for i, org in enumerate(filers):
        inspection = services.inspection_submit(
            acting_user=admin, org_id=org.pk, year=inspection_year.year,
            submitted_on=inspection_year.authority_due - dt.timedelta(days=10 + i % 30),
        )  # fmt: skip
        conclusion = "failed" if i in (1, 5) else "basic" if i in (2, 7) else "qualified"
        services.inspection_conclude(
            acting_user=admin, inspection_id=inspection.pk, conclusion=conclusion,
            grounds=[] if conclusion == "qualified" else ["meetings_not_held"],
            concluded_on=min(today, inspection_year.authority_due + dt.timedelta(days=20)),
        )  # fmt: skip
    # last year's: under way (two thirds filed so far, one late); after the deadline the missing are proposed
    current_filers = [o for o in orgs if services.must_file(o, current_year)]
    for i, org in enumerate(current_filers):
        if i % 3 == 2:
            continue
        due = current_year.authority_due
        submitted = min(today, due - dt.timedelta(days=5) if i != 4 else due + dt.timedelta(days=3))
        if submitted <= dt.date(current_year.year, 12, 31):
            continue
        services.inspection_submit(acting_user=admin, org_id=org.pk, year=current_year.year, submitted_on=submitted)
    if today > current_year.authority_due:
        services.inspection_propose_listings(acting_user=admin, year=current_year.year)
    proposals = list(Listing.objects.filter(status="proposed")[:4])
    for i, listing in enumerate(proposals):
        if i < 2:
            services.listing_confirm(acting_user=admin, listing_id=listing.pk, listed_on=min(today, listing.due_on))
        elif i == 2:
            services.listing_dismiss(acting_user=admin, listing_id=listing.pk, reason="已补报，系统延误所致")
    listed = Listing.objects.filter(status="listed").first()
    if listed is not None:
        services.listing_remove(
            acting_user=admin, listing_id=listed.pk, removed_on=today, reason="已补报年度工作报告并整改"
        )
    # evaluations: one graded 4A, one in public notice
    qualified = [o for o in filers if services.evaluation_bars(o, today - dt.timedelta(days=60)) == []]
    for k, org in enumerate(qualified[:2]):
        applied = today - dt.timedelta(days=60)
        application = services.evaluation_apply(acting_user=admin, org_id=org.pk, applied_on=applied)
        sheet = services.score_sheet(org.org_type, applied)
        scores = {a.code: int(a.max_score * 0.92) for a in sheet}
        services.evaluation_score(acting_user=admin, application_id=application.pk, scores=scores)
        application.refresh_from_db()
        services.evaluation_committee(
            acting_user=admin, application_id=application.pk,
            committee_on=applied + dt.timedelta(days=10), grade=application.proposed_grade,
        )  # fmt: skip
        notice = applied + dt.timedelta(days=14) if k == 0 else today - dt.timedelta(days=2)
        services.evaluation_notice(acting_user=admin, application_id=application.pk, notice_from=notice)
        if k == 0:
            application.refresh_from_db()
            services.evaluation_finalize(acting_user=admin, application_id=application.pk,
                                         on=application.notice_until + dt.timedelta(days=1))  # fmt: skip
    # enforcement: a case at every step, from filed to closed
    start = today - dt.timedelta(days=90)
    steps = ["filed", "investigating", "notified", "decided", "served", "executed", "closed"]
    targets = [o for o in orgs if o.status == "registered" and o not in qualified[:2]][: len(steps) + 2]
    decisions = [
        dict(decisions=["warning"], rectification_ordered=True, rectification_due=start + dt.timedelta(days=40)),
        dict(decisions=["fine"], fine_amount=Decimal("20000"), rectification_ordered=True,
             rectification_due=start + dt.timedelta(days=40)),
        dict(decisions=["revocation"]),
        dict(decisions=["suspension"], suspension_until=today + dt.timedelta(days=60)),
    ]  # fmt: skip
    for i, org in enumerate(targets):
        goal = steps[min(i, len(steps) - 1)]
        case = services.case_open(
            acting_user=admin, org_id=org.pk, source=["inspection", "complaint", "referral"][i % 3],
            category=reference.PROBLEM_CATEGORIES[i % 10][0], facts="群众举报该组织超出业务范围收取会费。",
            filed_on=start, case_number=f"大民社罚〔{today.year}〕{i + 1}号",
        )  # fmt: skip
        day = start
        for step in steps[1 : steps.index(goal) + 1]:
            day = min(today, day + dt.timedelta(days=5))
            extra = decisions[i % len(decisions)] if step == "decided" else {}
            if step == "closed" and case.rectification_ordered and case.rectified is None:
                services.case_verify_rectification(acting_user=admin, case_id=case.pk, on=day, rectified=True)
            case = services.case_advance(acting_user=admin, case_id=case.pk, step=step, on=day,
                                         document=f"文书{i}-{step}", **extra)  # fmt: skip
    # purchased services: one project in every state
    eligible = list(Organisation.objects.filter(evaluation_grade__gte=3)) or orgs[:1]
    states = ["applied", "reviewed", "notice", "contracted", "interim", "evaluated", "audited", "rejected"]
    for i, state in enumerate(states):
        org = eligible[0] if state in ("contracted", "interim", "evaluated", "audited") else orgs[(i * 3) % len(orgs)]
        applied = today - dt.timedelta(days=120)
        project = services.project_apply(
            acting_user=admin, org_id=org.pk, title=["社区居家养老服务", "困境儿童关爱", "社会组织孵化培育",
            "残疾人康复服务", "社区矫正帮扶", "老年人助餐服务", "志愿服务培训", "心理疏导服务"][i],
            funder=["lottery", "central", "district"][i % 3], year=today.year, amount=Decimal(160000 + i * 20000),
            starts_on=applied + dt.timedelta(days=30), ends_on=applied + dt.timedelta(days=365),
            deliverables="服务不少于1200人次；形成服务案例10个", applied_on=applied,
        )  # fmt: skip
        if state == "applied":
            continue
        services.project_review(
            acting_user=admin, project_id=project.pk, score=Decimal("86.5"), approved=state != "rejected"
        )
        if state in ("reviewed", "rejected"):
            continue
        project = services.project_notice(
            acting_user=admin, project_id=project.pk, notice_from=applied + dt.timedelta(days=7)
        )
        if state == "notice":
            continue
        services.project_contract(acting_user=admin, project_id=project.pk, contract_number=f"购{today.year}-{i:03d}",
                                  contracted_on=add_workdays(project.notice_until, 1))  # fmt: skip
        services.project_pay(acting_user=admin, project_id=project.pk, amount=project.amount / 2,
                             paid_on=add_workdays(project.notice_until, 3))  # fmt: skip
        if state == "contracted":
            continue
        services.project_interim(acting_user=admin, project_id=project.pk, on=today - dt.timedelta(days=30),
                                 findings="进度符合合同约定")  # fmt: skip
        if state == "interim":
            continue
        services.project_evaluate(acting_user=admin, project_id=project.pk, on=today - dt.timedelta(days=10),
                                  score=Decimal("88"))  # fmt: skip
        if state == "audited":
            services.project_audit(acting_user=admin, project_id=project.pk, on=today, findings="资金使用合规")
    return f"{len(orgs)} organisations, inspections {InspectionYear.objects.count()} years"
