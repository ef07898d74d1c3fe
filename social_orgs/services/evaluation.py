"""Evaluations: eligibility by the rules, score sheet per type, grade by the threshold table, committee, public
notice, the grade in force for five years, expiry set-based."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dalian_minzheng.core import workdays
from dalian_minzheng.core.dates import add_years
from social_orgs.models import (
    AnnualInspection,
    Conclusion,
    EnforcementCase,
    EvaluationApplication,
    EvaluationGradeRule,
    EvaluationRule,
    EvaluationStatus,
    Listing,
    Organisation,
    OrgEventKind,
    OrgStatus,
    ScoreArea,
)
from social_orgs.models.credit import ACTIVE as ACTIVE_LISTING
from social_orgs.models.enforcement import OPEN_STEPS
from social_orgs.services.common import (
    SOCIAL_ORG_DECISION_ROLES,
    SOCIAL_ORG_STAFF_ROLES,
    guard,
    locked_org,
    rule,
    timeline,
)


def _locked(application_id: int) -> EvaluationApplication:
    return (
        EvaluationApplication.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=application_id)
    )


def penalised_since(organisation: Organisation, since: dt.date) -> bool:
    return (
        EnforcementCase.objects.filter(organisation=organisation, served_on__gte=since).exclude(decisions=[]).exists()
    )


def evaluation_bars(organisation: Organisation, on: dt.date) -> list[str]:
    """Why the organisation may not apply on `on` (empty: it may). DOMAIN.md, evaluation."""
    rules = rule(EvaluationRule, on=on)
    bars = []
    if organisation.status != OrgStatus.REGISTERED:
        bars.append(_("The organisation is %(s)s.") % {"s": organisation.get_status_display()})
    eligible_from = add_years(organisation.registered_on, rules.registered_full_years)
    if on < eligible_from:
        bars.append(
            _("Registered less than %(n)s full years (eligible from %(day)s).")
            % {"n": rules.registered_full_years, "day": eligible_from}
        )
    if organisation.evaluation_grade and organisation.grade_valid_until and organisation.grade_valid_until >= on:
        upgrade_from = add_years(organisation.grade_granted_on, rules.upgrade_after_years)
        if on < upgrade_from:
            bars.append(
                _("Rated %(g)sA on %(day)s: an upgrade may be sought from %(next)s.")
                % {"g": organisation.evaluation_grade, "day": organisation.grade_granted_on, "next": upgrade_from}
            )
    last_year = on.year - 1
    conclusions = dict(
        AnnualInspection.objects.filter(
            organisation=organisation, inspection_year__year__in=(last_year, last_year - 1)
        ).values_list("inspection_year__year", "conclusion")
    )  # fmt: skip
    if on >= eligible_from:  # an organisation too young to have filed is already barred above
        if last_year not in conclusions:
            bars.append(_("No annual inspection for %(y)s.") % {"y": last_year})
        elif conclusions[last_year] == Conclusion.FAILED:
            bars.append(_("The annual inspection for %(y)s was not qualified.") % {"y": last_year})
        elif conclusions[last_year] == Conclusion.BASIC and conclusions.get(last_year - 1) == Conclusion.BASIC:
            bars.append(
                _("Basically qualified two years running (%(a)s, %(b)s).") % {"a": last_year - 1, "b": last_year}
            )
    if penalised_since(organisation, dt.date(last_year, 1, 1)):
        bars.append(_("An administrative penalty since %(y)s.") % {"y": last_year})
    if EnforcementCase.objects.filter(organisation=organisation, step__in=OPEN_STEPS).exists():
        bars.append(_("An enforcement case is open."))
    if Listing.objects.filter(organisation=organisation, status__in=ACTIVE_LISTING).exists():
        bars.append(_("The organisation is on a credit list."))
    return bars


@transaction.atomic
def evaluation_apply(*, acting_user, org_id: int, applied_on: dt.date) -> EvaluationApplication:
    organisation = locked_org(org_id)
    guard(acting_user, organisation, roles=SOCIAL_ORG_STAFF_ROLES)
    if applied_on > timezone.localdate():
        raise ValidationError({"applied_on": _("The date cannot be in the future.")})
    bars = evaluation_bars(organisation, applied_on)
    if bars:
        raise ValidationError(bars)
    try:
        with transaction.atomic():
            application = EvaluationApplication.objects.create(
                organisation=organisation, division_id=organisation.division_id, applied_on=applied_on
            )
    except IntegrityError:
        raise ValidationError(_("An evaluation of this organisation is already under way.")) from None
    timeline(organisation, OrgEventKind.EVALUATION, _("Applied for evaluation"), acting_user)
    return application


def score_sheet(org_type: str, on: dt.date) -> list[ScoreArea]:
    return list(ScoreArea.objects.in_force(on=on).filter(org_type=org_type).order_by("sort_order", "code"))


def grade_for(total: int, on: dt.date) -> int | None:
    """The highest grade whose minimum the total reaches (None below 1A)."""
    found = EvaluationGradeRule.objects.in_force(on=on).filter(minimum_total__lte=total).order_by("-grade").first()
    return found.grade if found else None


@transaction.atomic
def evaluation_score(*, acting_user, application_id: int, scores: dict[str, int]) -> EvaluationApplication:
    application = _locked(application_id)
    guard(acting_user, application.organisation, roles=SOCIAL_ORG_STAFF_ROLES)
    if application.status not in (EvaluationStatus.APPLIED, EvaluationStatus.SCORED):
        raise ValidationError(_("The scores are fixed once the committee has decided."))
    sheet = score_sheet(application.organisation.org_type, application.applied_on)
    if not sheet:
        raise ValidationError(_("No score sheet is in force for this organisation type."))
    errors = {}
    clean = {}
    for area in sheet:
        value = scores.get(area.code)
        if value is None:
            errors[area.code] = _("Enter the score for %(a)s.") % {"a": area.name}
        elif not 0 <= value <= area.max_score:
            errors[area.code] = _("%(a)s is scored 0–%(m)s.") % {"a": area.name, "m": area.max_score}
        else:
            clean[area.code] = int(value)
    if errors:
        raise ValidationError(errors)
    application.scores = clean
    application.total = sum(clean.values())
    application.proposed_grade = grade_for(application.total, application.applied_on)
    application.status = EvaluationStatus.SCORED
    application.save(update_fields=["scores", "total", "proposed_grade", "status"])
    return application


@transaction.atomic
def evaluation_committee(
    *, acting_user, application_id: int, committee_on: dt.date, grade: int | None
) -> EvaluationApplication:
    """The committee decides a grade no higher than the score gives (None: no grade, the application ends)."""
    application = _locked(application_id)
    guard(acting_user, application.organisation, roles=SOCIAL_ORG_DECISION_ROLES)
    if application.status != EvaluationStatus.SCORED:
        raise ValidationError(_("The committee decides on a scored application."))
    if committee_on < application.applied_on or committee_on > timezone.localdate():
        raise ValidationError({"committee_on": _("The date falls between the application and today.")})
    if grade is not None and (application.proposed_grade is None or grade > application.proposed_grade):
        raise ValidationError({"grade": _("The committee cannot grant more than the score gives.")})
    application.committee_on = committee_on
    application.grade = grade
    application.decided_by = acting_user
    application.status = EvaluationStatus.COMMITTEE if grade else EvaluationStatus.REFUSED
    application.save(update_fields=["committee_on", "grade", "decided_by", "status"])
    text = f"{grade}A" if grade else _("No grade")
    timeline(application.organisation, OrgEventKind.EVALUATION, _("Committee: %(g)s") % {"g": text}, acting_user)
    return application


@transaction.atomic
def evaluation_notice(*, acting_user, application_id: int, notice_from: dt.date) -> EvaluationApplication:
    application = _locked(application_id)
    guard(acting_user, application.organisation, roles=SOCIAL_ORG_DECISION_ROLES)
    if application.status != EvaluationStatus.COMMITTEE:
        raise ValidationError(_("The notice follows the committee's grade."))
    if notice_from < application.committee_on:
        raise ValidationError({"notice_from": _("The notice follows the committee's decision.")})
    days = rule(EvaluationRule, on=notice_from).notice_workdays
    application.notice_from = notice_from
    application.notice_until = workdays.add_workdays(notice_from, days - 1)
    application.status = EvaluationStatus.NOTICE
    application.save(update_fields=["notice_from", "notice_until", "status"])
    return application


@transaction.atomic
def evaluation_finalize(*, acting_user, application_id: int, on: dt.date, objection: str = "",
                        upheld: bool = False) -> EvaluationApplication:  # fmt: skip
    """After the notice: the grade is granted for the rule's years (or an upheld objection refuses it)."""
    application = _locked(application_id)
    organisation = locked_org(application.organisation_id)
    guard(acting_user, organisation, roles=SOCIAL_ORG_DECISION_ROLES)
    if application.status != EvaluationStatus.NOTICE:
        raise ValidationError(_("The grade is granted after the public notice."))
    if on <= application.notice_until:
        raise ValidationError({"on": _("The notice runs until %(day)s.") % {"day": application.notice_until}})
    application.objection = objection.strip()
    if upheld:
        if not application.objection:
            raise ValidationError({"objection": _("Say what objection was upheld.")})
        application.status = EvaluationStatus.REFUSED
        application.save(update_fields=["objection", "status"])
        timeline(organisation, OrgEventKind.EVALUATION, _("Objection upheld: no grade"), acting_user)
        return application
    years = rule(EvaluationRule, on=on).valid_years
    application.valid_from = on
    application.valid_until = add_years(on, years) - dt.timedelta(days=1)
    application.status = EvaluationStatus.GRADED
    application.save(update_fields=["objection", "valid_from", "valid_until", "status"])
    organisation.evaluation_grade = application.grade
    organisation.grade_granted_on = on
    organisation.grade_valid_until = application.valid_until
    organisation.save(update_fields=["evaluation_grade", "grade_granted_on", "grade_valid_until", "updated_at"])
    timeline(
        organisation, OrgEventKind.EVALUATION,
        _("Grade %(g)sA valid until %(day)s") % {"g": application.grade, "day": application.valid_until}, acting_user,
    )  # fmt: skip
    return application


def evaluations_expire(*, on: dt.date | None = None) -> int:
    """Grades past their validity end, city-wide in one UPDATE (nightly; idempotent)."""
    on = on or timezone.localdate()
    return Organisation.objects.filter(evaluation_grade__isnull=False, grade_valid_until__lt=on).update(
        evaluation_grade=None, updated_at=timezone.now()
    )
