"""Writes for social assistance casework. Every step checks who may act and locks the application row, so a double
submit or two admins approving at once gives exactly one state change.

Other apps call: `application_set_check_status` / `applications_set_check_status` (checks), `case_open_review` /
`cases_open_reviews` (checks; the plural forms are the set-based implementation, the single-row forms call them),
`build_roster` (raises extends it), `case_change_amount`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance import amounts, notifications, workdays
from assistance.models import (
    AmountChangeReason,
    Application,
    ApplicationStatus,
    Case,
    CaseAmountChange,
    CaseReview,
    CaseStatus,
    CheckStatus,
    EventKind,
    HomeVisit,
    IncomeItem,
    NoticeObjection,
    NoticeStatus,
    NotificationKind,
    ObjectionOutcome,
    PaymentRoster,
    Programme,
    ProgrammeKind,
    PublicNotice,
    ReviewOutcome,
    ReviewTrigger,
    RosterStatus,
    Standard,
    StandardBand,
    TimelineEvent,
    WorkdayOverride,
)
from dalian_minzheng.accounts.models import Role
from dalian_minzheng.accounts.scope import can_see_division, require_write
from dalian_minzheng.people import idnumbers
from dalian_minzheng.people.models import Division, DivisionLevel, Household, HouseholdMember, Person

# Working-day limits of the 2021 review rules (最低生活保障审核确认办法).
DAYS_TOTAL = 30
DAYS_TOTAL_EXTENDED = 45
DAYS_CHECK_START = 3
DAYS_DECISION = 10
DAYS_REFUSAL_NOTICE = 3
NOTICE_DAYS = 7

CASEWORK_ROLES = frozenset({Role.CASEWORKER, Role.DISTRICT_ADMIN})
DECISION_ROLES = frozenset({Role.DISTRICT_ADMIN})
STANDARD_ROLES = frozenset({Role.CITY_ADMIN})

OPEN_STATUSES = (
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.INVESTIGATING,
    ApplicationStatus.FIRST_REVIEW,
    ApplicationStatus.PUBLICITY,
    ApplicationStatus.PENDING_DECISION,
)

# The documents an application needs, by programme kind; acceptance lists all that are missing in one notice.
REQUIRED_DOCUMENTS: dict[str, list[str]] = {
    ProgrammeKind.ALLOWANCE: ["申请书", "户口簿", "身份证", "家庭经济状况核对授权书", "收入证明"],
    ProgrammeKind.HARDSHIP: ["申请书", "户口簿", "身份证", "家庭经济状况核对授权书", "生活自理能力评估表"],
    ProgrammeKind.DISABILITY_LIVING: ["申请书", "户口簿", "身份证", "残疾人证", "低保或低收入证明"],
    ProgrammeKind.DISABILITY_CARE: ["申请书", "户口簿", "身份证", "残疾人证（一、二级）"],
    ProgrammeKind.ILLNESS_PILOT: ["申请书", "户口簿", "身份证", "家庭经济状况核对授权书", "医疗费用票据", "诊断证明"],
}


# --- helpers ------------------------------------------------------------------------------------------------


def _authorise(user, division_code: str, roles) -> None:
    """Writers only (never auditors), with one of `roles`, inside their own division."""
    if user is None:
        raise PermissionDenied
    require_write(user)
    if not user.is_superuser and user.role not in roles:
        raise PermissionDenied
    if not can_see_division(user, division_code):
        raise PermissionDenied


def _event(application: Application, kind: str, text: str = "", actor=None, case: Case | None = None) -> TimelineEvent:
    return TimelineEvent.objects.create(
        application=application,
        case=case,
        division_id=application.division_id,
        kind=kind,
        text=text,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
    )


def _lock(application_id: int) -> Application:
    try:
        return Application.objects.select_for_update().select_related("programme").get(pk=application_id)
    except Application.DoesNotExist:
        raise ValidationError(_("The application does not exist.")) from None


def _require_status(application: Application, *statuses: str) -> None:
    if application.status not in statuses:
        raise ValidationError(
            _("This step is not possible while the application is “%(status)s”.")
            % {"status": application.get_status_display()},
            code="status",
        )


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def current_household_size(household_id: int) -> int:
    return HouseholdMember.objects.filter(household_id=household_id, left_on__isnull=True).count()


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


def _district_code(division_code: str) -> str:
    return division_code[:6]


def calculate_amount(
    *,
    programme: Programme,
    division_code: str,
    on: dt.date,
    household_size: int,
    income_per_capita: Decimal | None,
    care_level: str = "",
) -> Decimal:
    """The monthly amount by the standards in force (amounts.monthly_amount; banded programmes use their bands)."""
    return amounts.monthly_amount(
        programme=programme,
        district_code=_district_code(division_code),
        on=on,
        household_size=household_size,
        income_per_capita=income_per_capita or Decimal("0"),
        care_level=care_level,
    )


# --- interfaces for the checks app ----------------------------------------------------------------------------


@transaction.atomic
def applications_set_check_status(*, statuses: dict[int, str]) -> int:
    """Set-based form of `application_set_check_status` for many applications ({application id: status}): the same
    state changes, timeline events and audit rows, in a few statements. Applications already in their status are
    left alone (idempotent). Returns how many applications changed."""
    if not statuses:
        return 0
    for status in set(statuses.values()):
        if status not in CheckStatus.values:
            raise ValueError(f"unknown check status {status!r}")
    ids = sorted(statuses)
    # lock in id order (no deadlock with another bulk caller); one row per application
    current = dict(
        Application.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", "check_status")
    )
    if len(current) != len(ids):
        raise ValidationError(_("The application does not exist."))
    changed: dict[str, list[int]] = {}
    for app_id in ids:
        if current[app_id] != statuses[app_id]:
            changed.setdefault(statuses[app_id], []).append(app_id)
    if not changed:
        return 0
    now = timezone.now()
    today = timezone.localdate()
    for status, app_ids in changed.items():
        values = {"check_status": status, "updated_at": now}
        if status == CheckStatus.PENDING:
            values["check_started_on"] = Coalesce("check_started_on", Value(today))
        Application.objects.filter(pk__in=app_ids).update(**values)
    labels = {value: str(label) for value, label in CheckStatus.choices}
    divisions = dict(
        Application.objects.filter(pk__in=[i for app_ids in changed.values() for i in app_ids]).values_list(
            "pk", "division_id"
        )
    )
    events = [
        TimelineEvent(
            application_id=app_id,
            case=None,
            division_id=divisions[app_id],
            kind=EventKind.CHECK,
            text=f"{labels[current[app_id]]} → {labels[status]}",
            actor=None,
            at=now,
        )
        for status, app_ids in changed.items()
        for app_id in app_ids
    ]
    events.sort(key=lambda e: e.application_id)
    TimelineEvent.objects.bulk_create(events)
    return len(events)


def application_set_check_status(*, application_id: int, status: str) -> None:
    """Called by the cross-department check (app `checks`); approval is impossible unless the status is CLEAR."""
    applications_set_check_status(statuses={application_id: status})


@transaction.atomic
def cases_open_reviews(
    *, case_reasons: dict[int, str], acting_user=None, trigger: str = ReviewTrigger.CHECK_FINDINGS
) -> dict[int, CaseReview]:
    """Set-based form of `case_open_review` for many cases ({case id: reason}): a case with an open review gets the
    reason added to it (once); the others get a new review, become “under review” when receiving, and a timeline
    event. All or nothing: a stopped or unknown case refuses the whole call. Returns {case id: its open review}."""
    if not case_reasons:
        return {}
    ids = sorted(case_reasons)
    cases = {
        c.pk: c
        for c in Case.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .only("pk", "status", "division_id", "application_id")
    }
    missing = set(ids) - set(cases)
    if missing:
        raise Case.DoesNotExist(f"Case matching query does not exist: {sorted(missing)}")
    if acting_user is not None:
        for division_code in {c.division_id for c in cases.values()}:
            _authorise(acting_user, division_code, CASEWORK_ROLES)
    if any(c.status == CaseStatus.STOPPED for c in cases.values()):
        raise ValidationError(_("The case has stopped; there is nothing to review."), code="stopped")
    reviews = {r.case_id: r for r in CaseReview.objects.filter(case_id__in=ids, outcome="").order_by("case_id")}
    extended = []
    for case_id, review in reviews.items():
        reason = case_reasons[case_id]
        if reason and reason not in review.reason:
            review.reason = f"{review.reason}\n{reason}".strip()
            extended.append(review)
    if extended:
        CaseReview.objects.bulk_update(extended, ["reason"])
    new_ids = [i for i in ids if i not in reviews]
    if not new_ids:
        return reviews
    today = timezone.localdate()
    due_on = workdays.add_workdays(today, DAYS_TOTAL)
    opened_by = acting_user if acting_user is not None and acting_user.is_authenticated else None
    created = CaseReview.objects.bulk_create(
        [
            CaseReview(
                case_id=i, trigger=trigger, reason=case_reasons[i], opened_on=today, due_on=due_on, opened_by=opened_by
            )
            for i in new_ids
        ]
    )
    now = timezone.now()
    Case.objects.filter(pk__in=new_ids, status=CaseStatus.ACTIVE).update(status=CaseStatus.UNDER_REVIEW, updated_at=now)
    divisions = dict(
        Application.objects.filter(pk__in=[cases[i].application_id for i in new_ids]).values_list("pk", "division_id")
    )
    trigger_label = str(ReviewTrigger(trigger).label)
    TimelineEvent.objects.bulk_create(
        [
            TimelineEvent(
                application_id=cases[i].application_id,
                case_id=i,
                division_id=divisions[cases[i].application_id],
                kind=EventKind.REVIEW_OPENED,
                text=f"{trigger_label}: {case_reasons[i]}",
                actor=opened_by,
                at=now,
            )
            for i in new_ids
        ]
    )
    reviews.update({r.case_id: r for r in created})
    return reviews


def case_open_review(
    *, case_id: int, reason: str, acting_user=None, trigger: str = ReviewTrigger.CHECK_FINDINGS
) -> CaseReview:
    """Open a review (动态管理) of a case; if one is already open, add the reason to it and return it."""
    return cases_open_reviews(case_reasons={case_id: reason}, acting_user=acting_user, trigger=trigger)[case_id]


# --- programmes and standards ---------------------------------------------------------------------------------


@transaction.atomic
def standard_create(
    *,
    acting_user,
    programme_id: int,
    amount: Decimal | None,
    effective_from: dt.date,
    division_code: str | None = None,
    care_level: str = "",
    base_programme_id: int | None = None,
    multiplier: Decimal | None = None,
    note: str = "",
) -> Standard:
    """A new standard from a date (never an edit of one in force). A linked standard (hardship basic = 1.3 ×
    allowance) takes its amount from the base programme's standard on that date; standards linked to this
    programme get a new row for the same date, so they stay in step."""
    if acting_user is not None:
        _authorise(acting_user, division_code or "210200", STANDARD_ROLES)
    programme = Programme.objects.get(pk=programme_id)
    if base_programme_id:
        if multiplier is None:
            raise ValidationError(_("A linked standard needs a multiple."), code="multiplier")
        base = amounts.standard_for(
            programme=Programme.objects.get(pk=base_programme_id), district_code=division_code, on=effective_from
        )
        if base is None:
            raise ValidationError(_("The linked programme has no standard on that date."), code="no_base")
        amount = amounts.round_fen(base.amount * Decimal(multiplier))
    if amount is None or Decimal(amount) <= 0:
        raise ValidationError(_("Enter an amount above zero."), code="amount")
    if Standard.objects.filter(
        programme=programme, division_id=division_code, care_level=care_level, effective_from=effective_from
    ).exists():
        raise ValidationError(_("A standard for this programme, district and date already exists."), code="dup")
    standard = Standard.objects.create(
        programme=programme,
        division_id=division_code,
        care_level=care_level,
        amount=amount,
        effective_from=effective_from,
        base_programme_id=base_programme_id,
        multiplier=multiplier,
        note=note,
        created_by=acting_user,
    )
    if not care_level:
        # Follow-on: linked standards of other programmes (latest definition per programme) get the new amount.
        linked = (
            Standard.objects.filter(base_programme=programme, division_id=division_code, care_level="")
            .order_by("programme_id", "-effective_from")
            .distinct("programme_id")
        )
        for link in linked:
            if link.effective_from >= effective_from:
                continue
            standard_create(
                acting_user=None,
                programme_id=link.programme_id,
                amount=None,
                effective_from=effective_from,
                division_code=division_code,
                base_programme_id=programme.pk,
                multiplier=link.multiplier,
                note=_("follows %(programme)s") % {"programme": programme.name},
            )
    return standard


@transaction.atomic
def band_create(
    *,
    acting_user,
    programme_id: int,
    effective_from: dt.date,
    income_below: Decimal,
    amount: Decimal,
    division_code: str | None = None,
) -> StandardBand:
    if acting_user is not None:
        _authorise(acting_user, division_code or "210200", STANDARD_ROLES)
    return StandardBand.objects.create(
        programme_id=programme_id,
        division_id=division_code,
        effective_from=effective_from,
        income_below=income_below,
        amount=amount,
        created_by=acting_user,
    )


@transaction.atomic
def workday_override_set(*, acting_user, date: dt.date, is_workday: bool, note: str = "") -> WorkdayOverride:
    _authorise(acting_user, "210200", STANDARD_ROLES)
    override, _created = WorkdayOverride.objects.update_or_create(
        date=date, defaults={"is_workday": is_workday, "note": note}
    )
    return override


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
    `members` are (id_number, name, relationship) of the other members."""
    _authorise(acting_user, division_code, CASEWORK_ROLES)
    division = Division.objects.get(pk=division_code)
    if division.level < DivisionLevel.STREET:
        raise ValidationError(_("Choose a street or community."), code="division")
    today = timezone.localdate()

    def person(number: str, person_name: str) -> Person:
        parsed = idnumbers.parse(number)
        found = Person.objects.filter(id_number=parsed.number).first()
        if found is not None:
            if not can_see_division(acting_user, found.division_id):
                raise ValidationError(
                    _("%(id)s is registered in another district.") % {"id": idnumbers.mask(parsed.number)}
                )
            return found
        return Person.objects.create(
            id_number=parsed.number,
            name=person_name.strip(),
            sex=parsed.sex,
            birth_date=parsed.birth_date,
            phone=phone if parsed.number == idnumbers.normalize(id_number) else "",
            hukou_type=hukou_type,
            address=address,
            division=division,
        )

    head = person(id_number, name)
    membership = HouseholdMember.objects.filter(person=head, left_on__isnull=True).select_related("household").first()
    if membership is not None:
        household = membership.household
    else:
        household = Household.objects.filter(head=head).first() or Household.objects.create(
            head=head, division=division, address=address, hukou_type=hukou_type
        )
        HouseholdMember.objects.create(
            household=household, person=head, relationship="head", joined_on=today, created_by=acting_user
        )
    for number, member_name, relationship in members or []:
        member = person(number, member_name)
        current = HouseholdMember.objects.filter(person=member, left_on__isnull=True).first()
        if current is None:
            HouseholdMember.objects.create(
                household=household,
                person=member,
                relationship=relationship or "other",
                joined_on=today,
                created_by=acting_user,
            )
        elif current.household_id != household.pk:
            raise ValidationError(
                _("%(name)s already belongs to another household.") % {"name": member.name}, code="member"
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
    _authorise(acting_user, division_code, CASEWORK_ROLES)
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
    _authorise(acting_user, application.division_id, CASEWORK_ROLES)
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
    _authorise(acting_user, application.division_id, CASEWORK_ROLES)
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
    _authorise(acting_user, application.division_id, CASEWORK_ROLES)
    _require_status(application, ApplicationStatus.INVESTIGATING)
    if application.related_to_staff and not acting_user.is_superuser and acting_user.role != Role.DISTRICT_ADMIN:
        raise PermissionDenied(_("Applications related to staff are reviewed by the district."))
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
def notice_start(*, application_id: int, acting_user, starts_on: dt.date | None = None) -> PublicNotice:
    """公示 in the community for 7 days (inclusive): masked name, household size and amount only."""
    application = _lock(application_id)
    _authorise(acting_user, application.division_id, CASEWORK_ROLES)
    _require_status(application, ApplicationStatus.FIRST_REVIEW)
    if application.proposed_amount is None:
        raise ValidationError(_("There is no proposed amount; check the standards."), code="amount")
    starts_on = starts_on or timezone.localdate()
    notice = PublicNotice.objects.create(
        application=application,
        division_id=application.division_id,
        public_name=idnumbers.mask_name(application.applicant.name),
        household_size=application.household_size or 1,
        amount=application.proposed_amount,
        starts_on=starts_on,
        ends_on=starts_on + dt.timedelta(days=NOTICE_DAYS - 1),
        created_by=acting_user,
    )
    application.status = ApplicationStatus.PUBLICITY
    application.save(update_fields=["status", "updated_at"])
    _event(
        application,
        EventKind.NOTICE,
        _("On notice %(start)s to %(end)s") % {"start": notice.starts_on, "end": notice.ends_on},
        actor=acting_user,
    )
    return notice


@transaction.atomic
def notice_record_objection(*, notice_id: int, acting_user, content: str, received_on: dt.date) -> NoticeObjection:
    notice = PublicNotice.objects.select_related("application").get(pk=notice_id)
    application = _lock(notice.application_id)
    _authorise(acting_user, application.division_id, CASEWORK_ROLES)
    _require_status(application, ApplicationStatus.PUBLICITY)
    if not content.strip():
        raise ValidationError(_("Write down the objection."), code="content")
    objection = NoticeObjection.objects.create(
        notice=notice, received_on=received_on, content=content, recorded_by=acting_user
    )
    _event(application, EventKind.OBJECTION, content, actor=acting_user)
    return objection


@transaction.atomic
def objection_resolve(*, objection_id: int, acting_user, outcome: str, note: str) -> NoticeObjection:
    """An objection is unfounded, decided by 民主评议, or sends the application back to investigation."""
    objection = NoticeObjection.objects.select_related("notice").get(pk=objection_id)
    application = _lock(objection.notice.application_id)
    _authorise(acting_user, application.division_id, CASEWORK_ROLES)
    _require_status(application, ApplicationStatus.PUBLICITY)
    if outcome not in (
        ObjectionOutcome.DISMISSED,
        ObjectionOutcome.REINVESTIGATE,
        ObjectionOutcome.DEMOCRATIC_REVIEW,
    ):
        raise ValidationError(_("Choose an outcome."), code="outcome")
    if objection.outcome != ObjectionOutcome.PENDING:
        raise ValidationError(_("This objection has already been handled."), code="handled")
    if not note.strip():
        raise ValidationError(_("Write down the reasons."), code="note")
    objection.outcome = outcome
    objection.outcome_note = note
    objection.save(update_fields=["outcome", "outcome_note"])
    if outcome == ObjectionOutcome.REINVESTIGATE:
        notice = objection.notice
        notice.status = NoticeStatus.OBJECTED
        notice.save(update_fields=["status"])
        application.status = ApplicationStatus.INVESTIGATING
        application.save(update_fields=["status", "updated_at"])
        _event(application, EventKind.REINVESTIGATION, note, actor=acting_user)
    elif outcome == ObjectionOutcome.DEMOCRATIC_REVIEW:
        _event(application, EventKind.DEMOCRATIC_REVIEW, note, actor=acting_user)
    else:
        _event(application, EventKind.OBJECTION, _("unfounded: %(note)s") % {"note": note}, actor=acting_user)
    return objection


@transaction.atomic
def application_submit(*, application_id: int, acting_user, on: dt.date | None = None) -> Application:
    """After the 7-day notice with no objection left open, the street office submits to the district, which
    decides within 10 working days."""
    application = _lock(application_id)
    _authorise(acting_user, application.division_id, CASEWORK_ROLES)
    _require_status(application, ApplicationStatus.PUBLICITY)
    on = on or timezone.localdate()
    notice = application.notices.filter(status=NoticeStatus.OPEN).order_by("-id").first()
    if notice is None:
        raise ValidationError(_("There is no public notice."), code="notice")
    if on <= notice.ends_on:
        raise ValidationError(
            _("The public notice runs until %(date)s.") % {"date": notice.ends_on}, code="notice_running"
        )
    if notice.objections.filter(outcome=ObjectionOutcome.PENDING).exists():
        raise ValidationError(_("Handle the objections first."), code="objections")
    notice.status = NoticeStatus.OBJECTED if notice.objections.exists() else NoticeStatus.CLOSED
    notice.save(update_fields=["status"])
    application.status = ApplicationStatus.PENDING_DECISION
    application.submitted_on = on
    application.decision_due_on = workdays.add_workdays(on, DAYS_DECISION)
    application.save()
    _event(
        application,
        EventKind.SUBMITTED,
        _("Decision due by %(date)s") % {"date": application.decision_due_on},
        actor=acting_user,
    )
    return application


@transaction.atomic
def application_extend(*, application_id: int, acting_user, reason: str) -> Application:
    application = _lock(application_id)
    _authorise(acting_user, application.division_id, CASEWORK_ROLES)
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
    _authorise(acting_user, application.division_id, CASEWORK_ROLES)
    _require_status(application, *OPEN_STATUSES)
    application.status = ApplicationStatus.WITHDRAWN
    application.save(update_fields=["status", "updated_at"])
    application.notices.filter(status=NoticeStatus.OPEN).update(status=NoticeStatus.WITHDRAWN)
    _event(application, EventKind.WITHDRAWN, reason, actor=acting_user)
    return application


# --- 审核确认 ---------------------------------------------------------------------------------------------------


def next_review_due(*, programme: Programme, unstable_income: bool, from_month: dt.date) -> dt.date:
    months = programme.review_months_unstable if unstable_income else programme.review_months_stable
    return add_months(from_month, months)


@transaction.atomic
def application_approve(
    *,
    application_id: int,
    acting_user,
    decided_on: dt.date | None = None,
    amount: Decimal | None = None,
    unstable_income: bool = False,
    bank_name: str = "",
    bank_account: str = "",
) -> Case:
    """审核确认 by the district admin. Locks the application: of two admins approving at once, the second finds it
    approved and gets a ValidationError. Payment starts the month after approval."""
    application = _lock(application_id)
    _authorise(acting_user, application.division_id, DECISION_ROLES)
    _require_status(application, ApplicationStatus.PENDING_DECISION)
    if application.check_status != CheckStatus.CLEAR:
        raise ValidationError(
            _("The cross-department check is “%(status)s”; approval needs a clear check.")
            % {"status": application.get_check_status_display()},
            code="check",
        )
    decided_on = decided_on or timezone.localdate()
    size = application.household_size or current_household_size(application.household_id) or 1
    if amount is None:
        try:
            amount = calculate_amount(
                programme=application.programme,
                division_code=application.division_id,
                on=decided_on,
                household_size=size,
                income_per_capita=application.monthly_income_per_capita,
                care_level=application.care_level,
            )
        except ValueError:
            raise ValidationError(_("No standard is in force for this programme."), code="standard") from None
    if amount <= 0:
        raise ValidationError(
            _("The household's income is not below the standard; refuse with reasons instead."), code="zero"
        )
    first_month = add_months(month_start(decided_on), 1)
    application.status = ApplicationStatus.APPROVED
    application.decided_on = decided_on
    application.decided_by = acting_user
    application.proposed_amount = amount
    application.save()
    case = Case.objects.create(
        application=application,
        household_id=application.household_id,
        programme=application.programme,
        division_id=application.division_id,
        care_level=application.care_level,
        household_size=size,
        monthly_income_per_capita=application.monthly_income_per_capita or 0,
        monthly_amount=amount,
        first_payment_month=first_month,
        unstable_income=unstable_income,
        next_review_due=next_review_due(
            programme=application.programme, unstable_income=unstable_income, from_month=first_month
        ),
        bank_name=bank_name,
        bank_account=bank_account,
    )
    CaseAmountChange.objects.create(
        case=case,
        effective_from=first_month,
        old_amount=None,
        new_amount=amount,
        reason=AmountChangeReason.APPROVAL,
        note=_("approved on %(date)s") % {"date": decided_on},
        created_by=acting_user,
    )
    _event(
        application,
        EventKind.APPROVED,
        _("%(amount)s yuan/month from %(month)s") % {"amount": amount, "month": f"{first_month:%Y-%m}"},
        actor=acting_user,
        case=case,
    )
    return case


@transaction.atomic
def application_refuse(
    *, application_id: int, acting_user, reasons: str, decided_on: dt.date | None = None
) -> Application:
    """Refusal with written reasons. The written notice (不予批准通知书) is drafted from the city's text now and is
    due 3 working days after the decision: `application_issue_refusal_notice` records that it went out."""
    application = _lock(application_id)
    _authorise(acting_user, application.division_id, DECISION_ROLES)
    _require_status(application, ApplicationStatus.PENDING_DECISION)
    if len(reasons.strip()) < 4:
        raise ValidationError(_("Write the reasons for refusal."), code="reasons")
    decided_on = decided_on or timezone.localdate()
    application.status = ApplicationStatus.REFUSED
    application.decided_on = decided_on
    application.decided_by = acting_user
    application.refusal_reason = reasons
    application.refusal_notice_due_on = workdays.add_workdays(decided_on, DAYS_REFUSAL_NOTICE)
    application.refusal_notice_text = notifications.render(
        NotificationKind.REFUSAL,
        {
            "name": application.applicant.name,
            "programme": application.programme.name,
            "accepted_on": f"{application.accepted_on:%Y年%m月%d日}",
            "date": f"{decided_on:%Y年%m月%d日}",
            "reasons": reasons.strip(),
        },
    )
    application.save()
    _event(application, EventKind.REFUSED, reasons, actor=acting_user)
    return application


@transaction.atomic
def application_issue_refusal_notice(
    *, application_id: int, acting_user, issued_on: dt.date | None = None
) -> Application:
    """The written refusal notice went out to the household (due within 3 working days of the decision)."""
    application = _lock(application_id)
    _authorise(acting_user, application.division_id, CASEWORK_ROLES)
    _require_status(application, ApplicationStatus.REFUSED)
    if application.refusal_notice_issued_on:
        raise ValidationError(_("The refusal notice has already been issued."), code="issued")
    issued_on = issued_on or timezone.localdate()
    if issued_on > timezone.localdate() or (application.decided_on and issued_on < application.decided_on):
        raise ValidationError(_("The notice date must be between the decision and today."), code="date")
    application.refusal_notice_issued_on = issued_on
    application.save(update_fields=["refusal_notice_issued_on", "updated_at"])
    text = _("issued on %(date)s") % {"date": issued_on}
    due = application.refusal_notice_due_on
    if due and issued_on > due:
        text += "; " + _("%(days)s working days late (due %(due)s)") % {
            "days": workdays.workdays_between(due, issued_on),
            "due": due,
        }
    _event(application, EventKind.REFUSAL_NOTICE, text, actor=acting_user)
    return application


# --- amounts, stop, review ------------------------------------------------------------------------------------


@transaction.atomic
def case_change_amount(
    *,
    case_id: int,
    new_amount: Decimal,
    effective_from: dt.date,
    reason: str,
    note: str = "",
    acting_user=None,
    source_ref: str = "",
) -> CaseAmountChange | None:
    """Record an amount change with its reason; with a source_ref, applying the same source twice does nothing."""
    case = Case.objects.select_for_update().select_related("application").get(pk=case_id)
    if acting_user is not None:
        _authorise(acting_user, case.division_id, CASEWORK_ROLES)
    if source_ref and CaseAmountChange.objects.filter(case=case, source_ref=source_ref).exists():
        return None
    change = CaseAmountChange.objects.create(
        case=case,
        effective_from=effective_from,
        old_amount=case.monthly_amount,
        new_amount=new_amount,
        reason=reason,
        note=note,
        source_ref=source_ref,
        created_by=acting_user,
    )
    case.monthly_amount = new_amount
    case.save(update_fields=["monthly_amount", "updated_at"])
    _event(
        case.application,
        EventKind.AMOUNT,
        f"{change.old_amount} → {new_amount} ({change.get_reason_display()}) {note}",
        actor=acting_user,
        case=case,
    )
    return change


@transaction.atomic
def case_stop(*, case_id: int, acting_user, reason: str, on: dt.date | None = None) -> Case:
    """停发: the stop month is the last one paid; nothing from the month after."""
    case = Case.objects.select_for_update().select_related("application").get(pk=case_id)
    _authorise(acting_user, case.division_id, DECISION_ROLES)
    if case.status == CaseStatus.STOPPED:
        raise ValidationError(_("The case has already stopped."), code="stopped")
    if not reason.strip():
        raise ValidationError(_("Give the reason for stopping."), code="reason")
    on = on or timezone.localdate()
    case.status = CaseStatus.STOPPED
    case.stopped_on = on
    case.last_payment_month = max(month_start(on), add_months(case.first_payment_month, -1))
    case.stop_reason = reason
    case.save()
    _event(
        case.application,
        EventKind.STOPPED,
        _("%(reason)s; last payment %(month)s") % {"reason": reason, "month": f"{case.last_payment_month:%Y-%m}"},
        actor=acting_user,
        case=case,
    )
    return case


@transaction.atomic
def case_decide_review(
    *,
    review_id: int,
    acting_user,
    outcome: str,
    reason: str,
    household_size: int | None = None,
    income_per_capita: Decimal | None = None,
    new_amount: Decimal | None = None,
    decided_on: dt.date | None = None,
) -> CaseReview:
    """动态管理 outcome: continue, raise (增发), reduce (减发), stop (停发) or phase-out (渐退期), with reasons and the
    notification text. Amount changes take effect from the next month."""
    review = CaseReview.objects.select_related("case").get(pk=review_id)
    case = Case.objects.select_for_update().select_related("application__applicant", "programme").get(pk=review.case_id)
    review = CaseReview.objects.select_for_update().get(pk=review_id)
    roles = DECISION_ROLES if outcome in (ReviewOutcome.STOP, ReviewOutcome.PHASE_OUT) else CASEWORK_ROLES
    _authorise(acting_user, case.division_id, roles)
    if review.outcome:
        raise ValidationError(_("This review has already been decided."), code="decided")
    if outcome not in ReviewOutcome.values:
        raise ValidationError(_("Choose an outcome."), code="outcome")
    if outcome != ReviewOutcome.CONTINUE and not reason.strip():
        raise ValidationError(_("Give the reasons."), code="reason")
    decided_on = decided_on or timezone.localdate()
    next_month = add_months(month_start(decided_on), 1)
    size = household_size or case.household_size
    income = income_per_capita if income_per_capita is not None else case.monthly_income_per_capita
    old_amount = case.monthly_amount
    if new_amount is not None:
        new_amount = amounts.round_fen(Decimal(new_amount))  # "600" typed is 600.00 in the notice and history
    if outcome in (ReviewOutcome.RAISE, ReviewOutcome.REDUCE):
        if new_amount is None:
            try:
                new_amount = calculate_amount(
                    programme=case.programme,
                    division_code=case.division_id,
                    on=next_month,
                    household_size=size,
                    income_per_capita=income,
                    care_level=case.care_level,
                )
            except ValueError:
                raise ValidationError(_("No standard is in force for this programme."), code="standard") from None
        if outcome == ReviewOutcome.RAISE and new_amount <= old_amount:
            raise ValidationError(_("A raise needs an amount above the current one."), code="amount")
        if outcome == ReviewOutcome.REDUCE and not (0 < new_amount < old_amount):
            raise ValidationError(_("A reduction needs an amount below the current one."), code="amount")
    months = case.programme.phase_out_months
    if outcome == ReviewOutcome.PHASE_OUT and not months:
        raise ValidationError(_("This programme has no phase-out period."), code="phase_out")

    case.household_size = size
    case.monthly_income_per_capita = income
    case_fields = ["household_size", "monthly_income_per_capita", "updated_at", "status", "next_review_due"]
    case.status = CaseStatus.ACTIVE
    case.next_review_due = next_review_due(
        programme=case.programme, unstable_income=case.unstable_income, from_month=next_month
    )
    until = None
    if outcome == ReviewOutcome.STOP:
        case.status = CaseStatus.STOPPED
        case.stopped_on = decided_on
        case.last_payment_month = month_start(decided_on)
        case.stop_reason = reason
        case.next_review_due = None
        case_fields += ["stopped_on", "last_payment_month", "stop_reason"]
    elif outcome == ReviewOutcome.PHASE_OUT:
        until = add_months(next_month, months - 1)
        case.status = CaseStatus.PHASE_OUT
        case.phase_out_until = until
        case.last_payment_month = until
        case.next_review_due = None
        case_fields += ["phase_out_until", "last_payment_month"]
    case.save(update_fields=case_fields)
    if outcome in (ReviewOutcome.RAISE, ReviewOutcome.REDUCE):
        case_change_amount(
            case_id=case.pk,
            new_amount=new_amount,
            effective_from=next_month,
            reason=AmountChangeReason.REVIEW,
            note=reason,
        )
    elif outcome == ReviewOutcome.STOP:
        CaseAmountChange.objects.create(
            case=case,
            effective_from=next_month,
            old_amount=old_amount,
            new_amount=Decimal("0"),
            reason=AmountChangeReason.STOP,
            note=reason,
            created_by=acting_user,
        )
    # The text is the city's (NotificationText, edited in the admin); the filled-in notice is kept on the review.
    notification = notifications.render(
        f"review_{outcome}",
        {
            "name": case.application.applicant.name,
            "programme": case.programme.name,
            "old_amount": old_amount,
            "new_amount": new_amount if new_amount is not None else old_amount,
            "month": f"{next_month:%Y年%m月}",
            "date": f"{decided_on:%Y年%m月%d日}",
            "reasons": reason,
            "months": months,
            "until": f"{until:%Y年%m月}" if until else "",
        },
    )
    review.outcome = outcome
    review.outcome_reason = reason
    review.household_size = size
    review.monthly_income_per_capita = income
    review.new_amount = new_amount if new_amount is not None else (0 if outcome == ReviewOutcome.STOP else old_amount)
    review.notification_text = notification
    review.decided_by = acting_user
    review.decided_on = decided_on
    review.save()
    _event(
        case.application,
        EventKind.REVIEW_CLOSED,
        f"{review.get_outcome_display()}: {reason}",
        actor=acting_user,
        case=case,
    )
    return review


def reviews_open_due(*, on: dt.date) -> int:
    """Open a scheduled review for every receiving case whose review is due and has none open (set-based)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO assistance_casereview
                (case_id, trigger, reason, opened_on, due_on, outcome, outcome_reason, notification_text)
            SELECT c.id, %s, %s, %s, c.next_review_due, '', '', ''
            FROM assistance_case c
            WHERE c.status IN ('active', 'under_review') AND c.next_review_due <= %s
              AND NOT EXISTS (SELECT 1 FROM assistance_casereview r WHERE r.case_id = c.id AND r.outcome = '')
            """,
            [ReviewTrigger.SCHEDULED, "定期复核", on, on],
        )
        return cursor.rowcount


# --- monthly payments -----------------------------------------------------------------------------------------

# One statement per roster. A case is paid for `month` when it has started and its last payment month (stop or
# end of phase-out) is not before it; the amount is the latest amount change in force on the first of the month.
ROSTER_INSERT_SQL = """
INSERT INTO assistance_payment (roster_id, case_id, month, division_id, programme_id, amount, back_pay)
SELECT %(roster_id)s, c.id, %(month)s, c.division_id, c.programme_id,
       COALESCE(ch.new_amount, c.monthly_amount), 0
FROM assistance_case c
LEFT JOIN LATERAL (
    SELECT x.new_amount FROM assistance_caseamountchange x
    WHERE x.case_id = c.id AND x.effective_from <= %(month)s
    ORDER BY x.effective_from DESC, x.id DESC LIMIT 1
) ch ON true
WHERE c.division_id LIKE %(prefix)s
  AND c.first_payment_month <= %(month)s
  AND (c.last_payment_month >= %(month)s OR (c.last_payment_month IS NULL AND c.status <> 'stopped'))
"""


# Steps other parts of assistance add to every roster build (the raises sub-app puts back pay on the payments).
# Each is called as hook(roster=roster) inside the build's transaction, after the payments are inserted; it must be
# idempotent, since a rebuild calls it again.
ROSTER_HOOKS: list = []


def register_roster_hook(hook) -> None:
    if hook not in ROSTER_HOOKS:
        ROSTER_HOOKS.append(hook)


@transaction.atomic
def build_roster(*, month: dt.date, district_code: str, acting_user=None) -> PaymentRoster:
    """Build (or rebuild) one district's roster for `month` in set-based SQL. The roster row is locked, its
    payments deleted and re-inserted in one transaction, so re-running gives the same roster and (case, month)
    stays unique."""
    month = month_start(month)
    if acting_user is not None:
        _authorise(acting_user, district_code, frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN}))
    roster, _created = PaymentRoster.objects.get_or_create(month=month, district_id=district_code)
    roster = PaymentRoster.objects.select_for_update().get(pk=roster.pk)
    with connection.cursor() as cursor:
        # JIT compilation costs more than it saves on these statements (measured: ~0.1 s each, for nothing).
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("DELETE FROM assistance_payment WHERE roster_id = %s", [roster.pk])
        cursor.execute(ROSTER_INSERT_SQL, {"roster_id": roster.pk, "month": month, "prefix": f"{district_code}%"})
        for hook in ROSTER_HOOKS:
            hook(roster=roster)
        cursor.execute(
            "SELECT count(*), COALESCE(sum(amount + back_pay), 0) FROM assistance_payment WHERE roster_id = %s",
            [roster.pk],
        )
        count, total = cursor.fetchone()
    roster.case_count = count
    roster.total_amount = total
    roster.status = RosterStatus.READY
    roster.built_at = timezone.now()
    roster.built_by = acting_user if acting_user is not None and acting_user.is_authenticated else None
    roster.save()
    return roster


def district_codes() -> list[str]:
    return list(Division.objects.filter(level=DivisionLevel.DISTRICT).values_list("code", flat=True))


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


ROSTER_EXPORT_SQL = """
SELECT d.name, p.division_id, pe.name, pe.id_number, c.bank_name, c.bank_account, pr.name,
       c.household_size, p.amount, p.back_pay, p.amount + p.back_pay
FROM assistance_payment p
JOIN assistance_case c ON c.id = p.case_id
JOIN assistance_application a ON a.id = c.application_id
JOIN people_person pe ON pe.id = a.applicant_id
JOIN assistance_programme pr ON pr.id = p.programme_id
JOIN people_division d ON d.code = p.division_id
WHERE p.roster_id = %s
ORDER BY p.division_id, p.id
"""


def write_roster_xlsx(*, roster: PaymentRoster, target) -> int:
    """Bank-ready xlsx (constant memory): payee, full ID number, account, programme, amount, back pay, total."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet(f"{roster.month:%Y-%m}")
    text = workbook.add_format({"num_format": "@"})
    money = workbook.add_format({"num_format": "0.00"})
    headers = ["社区", "区划代码", "户主姓名", "公民身份号码", "开户银行", "银行账号", "救助类别", "户人数",
               "月保障金", "补发", "实发金额"]  # fmt: skip
    sheet.write_row(0, 0, headers)
    sheet.set_column(0, 0, 20)
    sheet.set_column(3, 3, 22)
    sheet.set_column(5, 5, 24)
    rows = 0
    with connection.cursor() as cursor:
        cursor.execute(ROSTER_EXPORT_SQL, [roster.pk])
        for record in cursor:
            rows += 1
            for col, value in enumerate(record):
                if isinstance(value, Decimal):
                    sheet.write_number(rows, col, float(value), money)
                elif isinstance(value, int):
                    sheet.write_number(rows, col, value)
                else:
                    # IDs and accounts as text, so Excel never turns them into 2.10202E+17
                    sheet.write_string(rows, col, neutralise(value or ""), text)
    sheet.write_string(rows + 1, 0, "合计")
    sheet.write_number(rows + 1, 10, float(roster.total_amount), money)
    workbook.close()
    return rows
