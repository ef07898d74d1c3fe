"""The whole application workflow through the real services on the real database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from assistance import selectors, services
from assistance.models import (
    ApplicationStatus,
    Case,
    CaseAmountChange,
    CheckStatus,
    EventKind,
    NoticeStatus,
    ObjectionOutcome,
    Payment,
    Programme,
    TimelineEvent,
)
from tests.assistance.factories import ensure_programmes, make_id_number

COMMUNITY = "210202001001"  # 中山区 海军广场街道 第一社区


@pytest.fixture
def programmes(divisions):
    ensure_programmes()
    return {p.code: p for p in Programme.objects.all()}


def register(caseworker, programmes, *, provided=None, related=False, size=3, code="urban_allowance", **extra):
    members = [(make_id_number("210202", male=False), "李桂兰", "spouse")]
    if size > 2:
        members.append((make_id_number("210202"), "张小明", "child"))
    household = services.household_for_applicant(
        acting_user=caseworker,
        division_code=COMMUNITY,
        id_number=make_id_number("210202"),
        name="张建华",
        phone="13800000000",
        address="中山区人民路1号",
        members=members,
    )
    return services.application_register(
        acting_user=caseworker,
        household_id=household.pk,
        programme_id=programmes[code].pk,
        documents_provided=provided if provided is not None else ["申请书", "户口簿", "身份证"],
        related_to_staff=related,
        related_staff_note="申请人系社区工作人员亲属" if related else "",
        **extra,
    )


def visit(application, user, income=Decimal("600")):
    head = application.household.head
    return services.application_record_visit(
        application_id=application.pk,
        acting_user=user,
        visited_on=timezone.localdate(),
        staff_names="王晓红、刘洋",
        incomes=[(head.pk, "wages", income)],
        homes=1,
        living_conditions="住房简陋",
    )


def test_whole_workflow_from_acceptance_to_roster(programmes, caseworker, district_admin, auditor):
    application = register(caseworker, programmes)
    assert application.status == ApplicationStatus.ACCEPTED
    assert application.household_size == 3
    # One notice listing everything missing
    assert application.missing_documents.splitlines() == ["家庭经济状况核对授权书", "收入证明"]
    notice_text = services.missing_documents_notice(application)
    assert "1. 家庭经济状况核对授权书" in notice_text and "2. 收入证明" in notice_text
    assert application.due_on > application.check_due_on > application.accepted_on

    # 家庭经济状况调查: two staff at least
    with pytest.raises(ValidationError):
        services.application_record_visit(
            application_id=application.pk,
            acting_user=caseworker,
            visited_on=timezone.localdate(),
            staff_names="王晓红",
            incomes=[],
        )
    visit(application, caseworker)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.INVESTIGATING
    assert application.monthly_income_per_capita == Decimal("200.00")
    # (800 − 200) × 3
    assert application.proposed_amount == Decimal("1800.00")

    services.application_set_check_status(application_id=application.pk, status=CheckStatus.PENDING)
    services.application_first_review(application_id=application.pk, acting_user=caseworker, opinion="符合条件")
    notice = services.notice_start(application_id=application.pk, acting_user=caseworker)
    assert notice.ends_on - notice.starts_on == dt.timedelta(days=6)
    assert notice.public_name == "张*华"
    shown = list(selectors.public_notices_for_community(COMMUNITY))
    assert [row["masked_name"] for row in shown] == ["张*华"]
    assert "张建华" not in str(shown) and application.applicant.id_number not in str(shown)

    objection = services.notice_record_objection(
        notice_id=notice.pk, acting_user=caseworker, content="该户有车辆", received_on=notice.starts_on
    )
    with pytest.raises(ValidationError):
        services.application_submit(application_id=application.pk, acting_user=caseworker, on=notice.ends_on)
    with pytest.raises(ValidationError):  # objection still open
        services.application_submit(
            application_id=application.pk, acting_user=caseworker, on=notice.ends_on + dt.timedelta(days=1)
        )
    services.objection_resolve(
        objection_id=objection.pk,
        acting_user=caseworker,
        outcome=ObjectionOutcome.DEMOCRATIC_REVIEW,
        note="民主评议：车辆已于2024年出售，异议不成立",
    )
    services.application_submit(
        application_id=application.pk, acting_user=caseworker, on=notice.ends_on + dt.timedelta(days=1)
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING_DECISION
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.OBJECTED
    assert list(selectors.public_notices_for_community(COMMUNITY)) == []

    # Only the district admin decides, never the caseworker or the auditor; never before the check is clear.
    with pytest.raises(PermissionDenied):
        services.application_approve(application_id=application.pk, acting_user=caseworker)
    with pytest.raises(PermissionDenied):
        services.application_approve(application_id=application.pk, acting_user=auditor)
    with pytest.raises(ValidationError) as refused:
        services.application_approve(application_id=application.pk, acting_user=district_admin)
    assert refused.value.code == "check"
    services.application_set_check_status(application_id=application.pk, status=CheckStatus.CLEAR)
    case = services.application_approve(application_id=application.pk, acting_user=district_admin)
    assert case.monthly_amount == Decimal("1800.00")
    today = timezone.localdate()
    next_month = services.add_months(today.replace(day=1), 1)
    assert case.first_payment_month == next_month
    assert CaseAmountChange.objects.get(case=case).new_amount == Decimal("1800.00")

    kinds = list(TimelineEvent.objects.filter(application=application).values_list("kind", flat=True))
    for kind in (
        EventKind.ACCEPTED,
        EventKind.HOME_VISIT,
        EventKind.CHECK,
        EventKind.FIRST_REVIEW,
        EventKind.NOTICE,
        EventKind.OBJECTION,
        EventKind.DEMOCRATIC_REVIEW,
        EventKind.SUBMITTED,
        EventKind.APPROVED,
    ):
        assert kind in kinds
    assert TimelineEvent.objects.filter(application=application, actor=district_admin, kind="approved").exists()

    # Paid from the following month, not this one
    this_month = services.build_roster(month=today, district_code="210202")
    assert this_month.case_count == 0
    roster = services.build_roster(month=next_month, district_code="210202")
    assert roster.case_count == 1 and roster.total_amount == Decimal("1800.00")
    assert Payment.objects.get(roster=roster).case_id == case.pk


def test_objection_sends_application_back_to_investigation(programmes, caseworker):
    application = register(caseworker, programmes)
    visit(application, caseworker)
    services.application_first_review(application_id=application.pk, acting_user=caseworker, opinion="符合")
    notice = services.notice_start(application_id=application.pk, acting_user=caseworker)
    objection = services.notice_record_objection(
        notice_id=notice.pk, acting_user=caseworker, content="有经营收入", received_on=notice.starts_on
    )
    services.objection_resolve(
        objection_id=objection.pk, acting_user=caseworker, outcome=ObjectionOutcome.REINVESTIGATE, note="重新调查"
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.INVESTIGATING
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.OBJECTED
    # a new visit and a new notice are possible
    visit(application, caseworker, income=Decimal("2100"))
    application.refresh_from_db()
    assert application.proposed_amount == Decimal("300.00")


def test_refusal_needs_written_reasons_and_first_review_can_recommend_it(programmes, caseworker, district_admin):
    application = register(caseworker, programmes)
    visit(application, caseworker, income=Decimal("2000"))
    services.application_first_review(
        application_id=application.pk, acting_user=caseworker, opinion="收入超标", recommend_approval=False
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING_DECISION
    assert application.decision_due_on is not None
    with pytest.raises(ValidationError):
        services.application_refuse(application_id=application.pk, acting_user=district_admin, reasons=" ")
    services.application_refuse(
        application_id=application.pk, acting_user=district_admin, reasons="家庭人均收入高于当地低保标准"
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REFUSED
    assert not Case.objects.filter(application=application).exists()


def test_application_related_to_staff_is_registered_separately_and_reviewed_by_district(
    programmes, caseworker, district_admin
):
    application = register(caseworker, programmes, related=True)
    assert application.related_to_staff
    assert TimelineEvent.objects.filter(application=application, kind=EventKind.RELATED_STAFF).exists()
    register_list = selectors.application_list(
        user=district_admin, filters=selectors.ListFilters(related_to_staff=True)
    )
    assert list(register_list) == [application]
    visit(application, caseworker)
    with pytest.raises(PermissionDenied):
        services.application_first_review(application_id=application.pk, acting_user=caseworker, opinion="符合")
    services.application_first_review(application_id=application.pk, acting_user=district_admin, opinion="符合")


def test_other_district_and_auditor_cannot_act(programmes, caseworker, caseworker_other_district, auditor):
    application = register(caseworker, programmes)
    with pytest.raises(PermissionDenied):
        visit(application, caseworker_other_district)
    with pytest.raises(PermissionDenied):
        visit(application, auditor)
    with pytest.raises(PermissionDenied):
        register(caseworker_other_district, programmes)


def test_double_register_gives_one_open_application(programmes, caseworker):
    application = register(caseworker, programmes)
    with pytest.raises(ValidationError):
        services.application_register(
            acting_user=caseworker,
            household_id=application.household_id,
            programme_id=application.programme_id,
            documents_provided=[],
        )


def test_extension_moves_deadline_to_45_working_days(programmes, caseworker):
    application = register(caseworker, programmes, accepted_on=dt.date(2025, 3, 3))
    assert application.due_on == dt.date(2025, 4, 15)  # 30 working days (清明 4-4 is a holiday)
    services.application_extend(application_id=application.pk, acting_user=caseworker, reason="需补充核对")
    application.refresh_from_db()
    assert application.extended and application.due_on == dt.date(2025, 5, 8)  # 45 (劳动节 5-1..5-5, 4-27 worked)
    overdue = selectors.overdue_applications(user=caseworker, today=dt.date(2025, 5, 12))
    assert application in overdue
    counts = selectors.overdue_counts(user=caseworker, level=3, today=dt.date(2025, 5, 12))
    assert counts[0]["unit"] == "210202001" and counts[0]["overdue"] == 1


def test_hardship_needs_care_level_and_pays_basic_plus_care(programmes, caseworker, district_admin):
    with pytest.raises(ValidationError):
        register(caseworker, programmes, code="urban_hardship", size=2)
    application = register(caseworker, programmes, code="urban_hardship", size=2, care_level="full_care")
    visit(application, caseworker, income=Decimal("0"))
    application.refresh_from_db()
    # (1.3 × 800 + 1200) × 2
    assert application.proposed_amount == Decimal("4480.00")
