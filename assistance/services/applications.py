"""申请/受理 and 家庭经济状况调查: the household, the application, its documents, the home visit, the first review,
the extension and the withdrawal. Every step locks the application row, so a double submit gives one change.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance import amounts
from assistance.models import (
    Application,
    ApplicationStatus,
    EventKind,
    HomeVisit,
    IncomeItem,
    NoticeStatus,
    Programme,
    ProgrammeKind,
)
from assistance.services.common import (
    CASEWORK_ROLES,
    DAYS_CHECK_START,
    DAYS_DECISION,
    DAYS_TOTAL,
    DAYS_TOTAL_EXTENDED,
    DECISION_ROLES,
    OPEN_STATUSES,
    _district_code,
    _event,
    _lock,
    _require_status,
    calculate_amount,
    current_household_size,
)
from dalian_minzheng.accounts.scope import require
from dalian_minzheng.core import workdays
from dalian_minzheng.people import services as people_services
from dalian_minzheng.people.models import Division, DivisionLevel, Household, HouseholdMember, Relationship

REQUIRED_DOCUMENTS: dict[str, list[str]] = {
    ProgrammeKind.ALLOWANCE: ["申请书", "户口簿", "身份证", "家庭经济状况核对授权书", "收入证明"],
    ProgrammeKind.HARDSHIP: ["申请书", "户口簿", "身份证", "家庭经济状况核对授权书", "生活自理能力评估表"],
    ProgrammeKind.DISABILITY_LIVING: ["申请书", "户口簿", "身份证", "残疾人证", "低保或低收入证明"],
    ProgrammeKind.DISABILITY_CARE: ["申请书", "户口簿", "身份证", "残疾人证（一、二级）"],
    ProgrammeKind.ILLNESS_PILOT: ["申请书", "户口簿", "身份证", "家庭经济状况核对授权书", "医疗费用票据", "诊断证明"],
}


def split_staff_names(raw: str) -> list[str]:
    names = [part.strip() for part in re.split(r"[、,，;；\s]+", raw or "") if part.strip()]
    return list(dict.fromkeys(names))


def asset_warnings(*, application: Application, visit: HomeVisit) -> list[str]:
    """Asset rules of the programme [config] that the household's assets break."""
    programme = application.programme
    warnings = []
    if visit.vehicles and not programme.asset_vehicles_allowed:
        warnings.append(_("owns %(n)s motor vehicle(s)") % {"n": visit.vehicles})
    if visit.homes > programme.asset_max_homes:
        warnings.append(_("owns %(n)s homes") % {"n": visit.homes})
    if visit.has_business and not programme.asset_business_allowed:
        warnings.append(_("has a registered business"))
    standard = amounts.standard_for(
        programme=programme, district_code=_district_code(application.division_id), on=application.accepted_on
    )
    size = application.household_size or 1
    if standard is not None and visit.deposits > standard.amount * programme.asset_deposit_months * size:
        warnings.append(
            _("deposits exceed %(m)s months of the standard per person") % {"m": programme.asset_deposit_months}
        )
    return warnings


# --- 申请 / 受理 --------------------------------------------------------------------------------------------------


def missing_documents_for(programme: Programme, provided: list[str]) -> list[str]:
    return [doc for doc in REQUIRED_DOCUMENTS.get(programme.kind, []) if doc not in set(provided)]


@transaction.atomic
def household_for_applicant(
    *,
    acting_user,
    division_code: str,
    id_number: str,
    name: str,
    phone: str = "",
    address: str = "",
    hukou_type: str = "urban",
    members: list[tuple[str, str, str]] | None = None,
) -> Household:
    """The applicant's current household, creating the person, household and members when they are new.
    `members` are (id_number, name, relationship) of the other members. The people rows are written by the kernel
    (dalian_minzheng.people.services: its row locks, scope and relationship checks); this adds the casework roles
    and the rule that an application is registered at a street or community."""
    require(acting_user, roles=CASEWORK_ROLES, division=division_code)
    division = Division.objects.get(pk=division_code)
    if division.level < DivisionLevel.STREET:
        raise ValidationError(_("Choose a street or community."), code="division")
    head, _created = people_services.person_get_or_create_by_id_number(
        acting_user=acting_user,
        id_number=id_number,
        name=name,
        division=division,
        phone=phone,
        hukou_type=hukou_type,
        address=address,
    )
    household = people_services.household_for_head(
        acting_user=acting_user, head=head, division=division, address=address, hukou_type=hukou_type
    )
    for number, member_name, relationship in members or []:
        member, _created = people_services.person_get_or_create_by_id_number(
            acting_user=acting_user,
            id_number=number,
            name=member_name,
            division=division,
            hukou_type=hukou_type,
            address=address,
        )
        people_services.household_ensure_member(
            acting_user=acting_user,
            household=household,
            person=member,
            relationship=relationship or Relationship.OTHER,
        )
    return household


@transaction.atomic
def application_register(
    *,
    acting_user,
    household_id: int,
    programme_id: int,
    documents_provided: list[str],
    applicant_id: int | None = None,
    division_code: str | None = None,
    accepted_on: dt.date | None = None,
    care_level: str = "",
    agent_name: str = "",
    related_to_staff: bool = False,
    related_staff_note: str = "",
) -> Application:
    """申请/受理: accept an application at the street office or community; one notice lists every missing
    document. Applicants related to staff are registered separately (单独登记备案)."""
    # Lock the household so two clicks of the same form give one application.
    household = Household.objects.select_for_update().select_related("head").get(pk=household_id)
    division_code = division_code or household.division_id
    require(acting_user, roles=CASEWORK_ROLES, division=division_code)
    programme = Programme.objects.get(pk=programme_id, is_active=True)
    if programme.hukou_type and programme.hukou_type != household.hukou_type:
        raise ValidationError(
            _("%(programme)s is for %(hukou)s households.")
            % {"programme": programme.name, "hukou": household.get_hukou_type_display()},
            code="hukou",
        )
    if programme.kind == ProgrammeKind.HARDSHIP and not care_level:
        raise ValidationError(_("Choose the care level for special hardship support."), code="care_level")
    if Application.objects.filter(household=household, programme=programme, status__in=OPEN_STATUSES).exists():
        raise ValidationError(_("This household already has an open application for this programme."), code="open")
    accepted_on = accepted_on or timezone.localdate()
    missing = missing_documents_for(programme, documents_provided)
    try:
        with transaction.atomic():
            application = Application.objects.create(
                household=household,
                applicant_id=applicant_id or household.head_id,
                programme=programme,
                division_id=division_code,
                care_level=care_level,
                agent_name=agent_name,
                accepted_on=accepted_on,
                missing_documents="\n".join(missing),
                related_to_staff=related_to_staff,
                related_staff_note=related_staff_note,
                due_on=workdays.add_workdays(accepted_on, DAYS_TOTAL),
                check_due_on=workdays.add_workdays(accepted_on, DAYS_CHECK_START),
                household_size=current_household_size(household.pk) or 1,
                created_by=acting_user,
            )
    except IntegrityError:
        raise ValidationError(
            _("This household already has an open application for this programme."), code="open"
        ) from None
    text = _("Missing documents (one notice): %(docs)s") % {"docs": "、".join(missing)} if missing else ""
    _event(application, EventKind.ACCEPTED, text, actor=acting_user)
    if related_to_staff:
        _event(application, EventKind.RELATED_STAFF, related_staff_note, actor=acting_user)
    return application


def missing_documents_notice(application: Application) -> str:
    """The one-time notice (一次性告知) of everything missing."""
    docs = [line for line in application.missing_documents.splitlines() if line.strip()]
    if not docs:
        return ""
    lines = "\n".join(f"{i}. {doc}" for i, doc in enumerate(docs, 1))
    return _(
        "Dear %(name)s, your application for %(programme)s was accepted on %(date)s. "
        "Please provide the following at once:\n%(lines)s"
    ) % {
        "name": application.applicant.name,
        "programme": application.programme.name,
        "date": application.accepted_on,
        "lines": lines,
    }


@transaction.atomic
def application_update_documents(*, application_id: int, acting_user, missing_documents: list[str]) -> Application:
    application = _lock(application_id)
    require(acting_user, roles=CASEWORK_ROLES, division=application.division_id)
    _require_status(application, *OPEN_STATUSES)
    application.missing_documents = "\n".join(missing_documents)
    application.save(update_fields=["missing_documents", "updated_at"])
    _event(
        application,
        EventKind.DOCUMENTS,
        "、".join(missing_documents) if missing_documents else _("all documents received"),
        actor=acting_user,
    )
    return application


# --- 家庭经济状况调查 ------------------------------------------------------------------------------------------------


@transaction.atomic
def application_record_visit(
    *,
    application_id: int,
    acting_user,
    visited_on: dt.date,
    staff_names: str,
    incomes: list[tuple[int, str, Decimal]],
    vehicles: int = 0,
    homes: int = 0,
    has_business: bool = False,
    deposits: Decimal = Decimal("0"),
    living_conditions: str = "",
) -> HomeVisit:
    """入户调查 with at least two staff; income by member and category; the per-capita income and the proposed
    amount follow from it."""
    application = _lock(application_id)
    require(acting_user, roles=CASEWORK_ROLES, division=application.division_id)
    _require_status(application, ApplicationStatus.ACCEPTED, ApplicationStatus.INVESTIGATING)
    names = split_staff_names(staff_names)
    if len(names) < 2:
        raise ValidationError(_("A home visit needs at least two staff."), code="staff")
    if visited_on < application.accepted_on or visited_on > timezone.localdate():
        raise ValidationError(_("The visit date must be between acceptance and today."), code="date")
    member_ids = set(
        HouseholdMember.objects.filter(household_id=application.household_id, left_on__isnull=True).values_list(
            "person_id", flat=True
        )
    )
    for person_id, _category, amount in incomes:
        if person_id not in member_ids:
            raise ValidationError(_("An income belongs to someone outside the household."), code="member")
        if Decimal(amount) < 0:
            raise ValidationError(_("An income cannot be negative."), code="income")
    visit = HomeVisit.objects.create(
        application=application,
        visited_on=visited_on,
        staff_names="、".join(names),
        living_conditions=living_conditions,
        vehicles=vehicles,
        homes=homes,
        has_business=has_business,
        deposits=deposits,
        recorded_by=acting_user,
    )
    IncomeItem.objects.bulk_create(
        [
            IncomeItem(visit=visit, person_id=person_id, category=category, monthly_amount=amount)
            for person_id, category, amount in incomes
        ]
    )
    size = len(member_ids) or 1
    total = visit.incomes.aggregate(total=Sum("monthly_amount"))["total"] or Decimal("0")
    application.household_size = size
    application.monthly_income_per_capita = amounts.round_fen(total / size)
    try:
        application.proposed_amount = calculate_amount(
            programme=application.programme,
            division_code=application.division_id,
            on=timezone.localdate(),
            household_size=size,
            income_per_capita=application.monthly_income_per_capita,
            care_level=application.care_level,
        )
    except ValueError:
        application.proposed_amount = None
    application.status = ApplicationStatus.INVESTIGATING
    application.save()
    warnings = asset_warnings(application=application, visit=visit)
    text = _("Staff: %(staff)s; income per person %(income)s yuan/month") % {
        "staff": visit.staff_names,
        "income": application.monthly_income_per_capita,
    }
    if warnings:
        text += "; " + _("asset rules: %(w)s") % {"w": "；".join(warnings)}
    _event(application, EventKind.HOME_VISIT, text, actor=acting_user)
    return visit


# --- 初审 / 公示 ------------------------------------------------------------------------------------------------


@transaction.atomic
def application_first_review(
    *, application_id: int, acting_user, opinion: str, recommend_approval: bool = True
) -> Application:
    """初审 at the street office. An application related to staff is reviewed by the district admin. A
    recommendation to refuse goes to the district without public notice."""
    application = _lock(application_id)
    require(acting_user, roles=CASEWORK_ROLES, division=application.division_id)
    _require_status(application, ApplicationStatus.INVESTIGATING)
    if application.related_to_staff:
        message = _("Applications related to staff are reviewed by the district.")
        require(acting_user, roles=DECISION_ROLES, message=message)
    if not application.visits.exists():
        raise ValidationError(_("Record the home visit first."), code="visit")
    if not opinion.strip():
        raise ValidationError(_("Write the first review opinion."), code="opinion")
    today = timezone.localdate()
    application.first_reviewed_on = today
    application.first_review_opinion = opinion
    if recommend_approval:
        application.status = ApplicationStatus.FIRST_REVIEW
    else:
        application.status = ApplicationStatus.PENDING_DECISION
        application.submitted_on = today
        application.decision_due_on = workdays.add_workdays(today, DAYS_DECISION)
    application.save()
    verdict = _("recommends approval") if recommend_approval else _("recommends refusal")
    _event(application, EventKind.FIRST_REVIEW, f"{verdict}: {opinion}", actor=acting_user)
    return application


@transaction.atomic
def application_extend(*, application_id: int, acting_user, reason: str) -> Application:
    application = _lock(application_id)
    require(acting_user, roles=CASEWORK_ROLES, division=application.division_id)
    _require_status(application, *OPEN_STATUSES)
    if application.extended:
        raise ValidationError(_("The deadline has already been extended."), code="extended")
    if not reason.strip():
        raise ValidationError(_("Give the reason for the extension."), code="reason")
    application.extended = True
    application.due_on = workdays.add_workdays(application.accepted_on, DAYS_TOTAL_EXTENDED)
    application.save(update_fields=["extended", "due_on", "updated_at"])
    _event(
        application,
        EventKind.EXTENDED,
        _("%(reason)s; now due %(date)s") % {"reason": reason, "date": application.due_on},
        actor=acting_user,
    )
    return application


@transaction.atomic
def application_withdraw(*, application_id: int, acting_user, reason: str) -> Application:
    application = _lock(application_id)
    require(acting_user, roles=CASEWORK_ROLES, division=application.division_id)
    _require_status(application, *OPEN_STATUSES)
    application.status = ApplicationStatus.WITHDRAWN
    application.save(update_fields=["status", "updated_at"])
    application.notices.filter(status=NoticeStatus.OPEN).update(status=NoticeStatus.WITHDRAWN)
    _event(application, EventKind.WITHDRAWN, reason, actor=acting_user)
    return application
