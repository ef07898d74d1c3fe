"""Purchased services: 申报 → 评审 → 公示 → 立项/签约 → staged payments → 中期 → 结项评估 → 审计; only an eligible
organisation (the rule table) is contracted; the final grade goes on the organisation's record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dalian_minzheng.core import workdays
from social_orgs.models import (
    AnnualInspection,
    Conclusion,
    Funder,
    Listing,
    Organisation,
    OrgEventKind,
    OrgStatus,
    ProjectGradeRule,
    ProjectPayment,
    ProjectStatus,
    PurchaseEligibility,
    ServiceProject,
)
from social_orgs.models.credit import ACTIVE as ACTIVE_LISTING
from social_orgs.services.common import SOCIAL_ORG_DECISION_ROLES, SOCIAL_ORG_STAFF_ROLES, guard, rule, timeline


def _locked(project_id: int) -> ServiceProject:
    return ServiceProject.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=project_id)


def _not_future(name: str, day: dt.date) -> None:
    if day > timezone.localdate():
        raise ValidationError({name: _("The date cannot be in the future.")})


def purchase_bars(organisation: Organisation, on: dt.date) -> list[str]:
    """Why the organisation may not be contracted on `on` (PurchaseEligibility in force)."""
    eligibility = rule(PurchaseEligibility, on=on)
    bars = []
    if organisation.status != OrgStatus.REGISTERED:
        bars.append(_("The organisation is %(s)s.") % {"s": organisation.get_status_display()})
    if eligibility.minimum_grade:
        grade = organisation.evaluation_grade if (organisation.grade_valid_until or on) >= on else None
        if not grade or grade < eligibility.minimum_grade:
            bars.append(_("Evaluation grade %(g)sA or above is required.") % {"g": eligibility.minimum_grade})
    if (
        eligibility.refuse_credit_listed
        and Listing.objects.filter(organisation=organisation, status__in=ACTIVE_LISTING).exists()
    ):
        bars.append(_("The organisation is on a credit list."))
    if eligibility.refuse_failed_inspection:
        last = (
            AnnualInspection.objects.filter(organisation=organisation, inspection_year__year=on.year - 1)
            .values_list("conclusion", flat=True)
            .first()
        )
        if last == Conclusion.FAILED:
            bars.append(_("The annual inspection for %(y)s was not qualified.") % {"y": on.year - 1})
    return bars


@transaction.atomic
def project_apply(
    *, acting_user, org_id: int, title: str, funder: str, year: int, amount: Decimal, starts_on: dt.date,
    ends_on: dt.date, deliverables: str, applied_on: dt.date,
) -> ServiceProject:  # fmt: skip
    organisation = Organisation.objects.get(pk=org_id)
    guard(acting_user, organisation, roles=SOCIAL_ORG_STAFF_ROLES)
    errors = {}
    if not title.strip():
        errors["title"] = _("Name the project.")
    if funder not in Funder.values:
        errors["funder"] = _("Choose the funder.")
    if amount is None or amount <= 0:
        errors["amount"] = _("The amount is more than zero.")
    if ends_on < starts_on:
        errors["ends_on"] = _("The period ends after it starts.")
    if not deliverables.strip():
        errors["deliverables"] = _("List the deliverables.")
    if errors:
        raise ValidationError(errors)
    _not_future("applied_on", applied_on)
    project = ServiceProject.objects.create(
        organisation=organisation, division_id=organisation.division_id, title=title.strip(), funder=funder,
        year=year, amount=amount, starts_on=starts_on, ends_on=ends_on, deliverables=deliverables.strip(),
        applied_on=applied_on,
    )  # fmt: skip
    timeline(organisation, OrgEventKind.PROJECT, _("Applied: %(t)s") % {"t": project.title}, acting_user)
    return project


def _expect(project: ServiceProject, *statuses: str) -> None:
    if project.status not in statuses:
        raise ValidationError(
            _("The project is “%(s)s”; this step does not follow.") % {"s": project.get_status_display()}
        )


@transaction.atomic
def project_review(*, acting_user, project_id: int, score: Decimal, approved: bool) -> ServiceProject:
    project = _locked(project_id)
    guard(acting_user, project.organisation, roles=SOCIAL_ORG_DECISION_ROLES)
    _expect(project, ProjectStatus.APPLIED)
    if score is None or not 0 <= score <= 100:
        raise ValidationError({"score": _("The review score is 0–100.")})
    project.review_score = score
    project.status = ProjectStatus.REVIEWED if approved else ProjectStatus.REJECTED
    project.save(update_fields=["review_score", "status"])
    return project


@transaction.atomic
def project_notice(*, acting_user, project_id: int, notice_from: dt.date) -> ServiceProject:
    project = _locked(project_id)
    guard(acting_user, project.organisation, roles=SOCIAL_ORG_DECISION_ROLES)
    _expect(project, ProjectStatus.REVIEWED)
    days = rule(PurchaseEligibility, on=notice_from).notice_workdays
    project.notice_from = notice_from
    project.notice_until = workdays.add_workdays(notice_from, days - 1)
    project.status = ProjectStatus.NOTICE
    project.save(update_fields=["notice_from", "notice_until", "status"])
    return project


@transaction.atomic
def project_contract(*, acting_user, project_id: int, contracted_on: dt.date, contract_number: str) -> ServiceProject:
    project = _locked(project_id)
    guard(acting_user, project.organisation, roles=SOCIAL_ORG_DECISION_ROLES)
    _expect(project, ProjectStatus.NOTICE)
    _not_future("contracted_on", contracted_on)
    if contracted_on <= project.notice_until:
        raise ValidationError({"contracted_on": _("The notice runs until %(day)s.") % {"day": project.notice_until}})
    if not contract_number.strip():
        raise ValidationError({"contract_number": _("Enter the contract number.")})
    bars = purchase_bars(project.organisation, contracted_on)
    if bars:
        raise ValidationError(bars)
    project.contracted_on, project.contract_number = contracted_on, contract_number.strip()
    project.status = ProjectStatus.CONTRACTED
    project.save(update_fields=["contracted_on", "contract_number", "status"])
    timeline(project.organisation, OrgEventKind.PROJECT, _("Contracted: %(t)s") % {"t": project.title}, acting_user)
    return project


@transaction.atomic
def project_pay(*, acting_user, project_id: int, amount: Decimal, paid_on: dt.date) -> ProjectPayment:
    """A staged payment; the stages never add up to more than the contracted amount."""
    project = _locked(project_id)
    guard(acting_user, project.organisation, roles=SOCIAL_ORG_DECISION_ROLES)
    _expect(project, ProjectStatus.CONTRACTED, ProjectStatus.INTERIM, ProjectStatus.EVALUATED)
    _not_future("paid_on", paid_on)
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("The amount is more than zero.")})
    if paid_on < project.contracted_on:
        raise ValidationError(
            {"paid_on": _("A payment follows the contract (%(day)s).") % {"day": project.contracted_on}}
        )
    paid = project.payments.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    if paid + amount > project.amount:
        raise ValidationError(
            {"amount": _("Paid %(paid)s of %(total)s: at most %(left)s more.")
             % {"paid": paid, "total": project.amount, "left": project.amount - paid}}
        )  # fmt: skip
    stage = project.payments.count() + 1
    return ProjectPayment.objects.create(project=project, stage=stage, amount=amount, paid_on=paid_on)


@transaction.atomic
def project_interim(*, acting_user, project_id: int, on: dt.date, findings: str) -> ServiceProject:
    project = _locked(project_id)
    guard(acting_user, project.organisation, roles=SOCIAL_ORG_STAFF_ROLES)
    _expect(project, ProjectStatus.CONTRACTED)
    _not_future("on", on)
    if not findings.strip():
        raise ValidationError({"findings": _("Enter the interim findings.")})
    project.interim_on, project.interim_findings = on, findings.strip()
    project.status = ProjectStatus.INTERIM
    project.save(update_fields=["interim_on", "interim_findings", "status"])
    return project


def project_grade_for(score: Decimal, on: dt.date) -> str:
    found = ProjectGradeRule.objects.in_force(on=on).filter(minimum_score__lte=score).order_by("grade").first()
    return found.grade if found else "C"


@transaction.atomic
def project_evaluate(*, acting_user, project_id: int, on: dt.date, score: Decimal) -> ServiceProject:
    """结项评估: the grade by the rule table, written to the organisation's record."""
    project = _locked(project_id)
    guard(acting_user, project.organisation, roles=SOCIAL_ORG_DECISION_ROLES)
    _expect(project, ProjectStatus.INTERIM)
    _not_future("on", on)
    if score is None or not 0 <= score <= 100:
        raise ValidationError({"score": _("The score is 0–100.")})
    project.final_score, project.evaluated_on = score, on
    project.final_grade = project_grade_for(score, on)
    project.status = ProjectStatus.EVALUATED
    project.save(update_fields=["final_score", "final_grade", "evaluated_on", "status"])
    timeline(
        project.organisation, OrgEventKind.PROJECT,
        _("Final evaluation of %(t)s: %(s)s (%(g)s)") % {"t": project.title, "s": score, "g": project.final_grade},
        acting_user,
    )  # fmt: skip
    return project


@transaction.atomic
def project_audit(*, acting_user, project_id: int, on: dt.date, findings: str) -> ServiceProject:
    project = _locked(project_id)
    guard(acting_user, project.organisation, roles=SOCIAL_ORG_DECISION_ROLES)
    _expect(project, ProjectStatus.EVALUATED)
    _not_future("on", on)
    project.audited_on, project.audit_findings = on, findings.strip()
    project.status = ProjectStatus.AUDITED
    project.save(update_fields=["audited_on", "audit_findings", "status"])
    return project
