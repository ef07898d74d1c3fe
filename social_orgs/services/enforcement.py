"""Enforcement and clean-up: 立案 → 调查 → 告知 → 决定 → 送达 → 执行 → 结案. A decision takes effect when served: it
changes the organisation's status and enters the credit lists by the rules; ordered rectification is verified
before the case closes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dalian_minzheng.accounts.scope import require
from dalian_minzheng.core.dates import add_years
from social_orgs.models import (
    AnnualInspection,
    CaseSource,
    CaseStep,
    Decision,
    EnforcementCase,
    EnforcementStepEntry,
    ListingRule,
    ListingSource,
    Organisation,
    OrgEventKind,
    OrgStatus,
    ProblemCategory,
    RestrictedPerson,
)
from social_orgs.services.common import (
    SOCIAL_ORG_DECISION_ROLES,
    SOCIAL_ORG_STAFF_ROLES,
    list_entry,
    locked_org,
    rule,
    timeline,
)
from social_orgs.services.registry import set_status

ORDER = list(CaseStep.values)
ORG_ONLY = {Decision.SUSPENSION, Decision.REVOCATION, Decision.WARNING, Decision.FINE}
# the steps only the authority takes (the rest are casework)
DECIDING_STEPS = {CaseStep.DECIDED, CaseStep.CLOSED}


def _locked(case_id: int) -> EnforcementCase:
    return EnforcementCase.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=case_id)


def _log(case, step, on, acting_user, *, document="", text="") -> None:
    actor = acting_user if acting_user is not None and acting_user.is_authenticated else None
    EnforcementStepEntry.objects.create(case=case, step=step, on=on, document=document, text=text, actor=actor)
    if case.organisation_id:
        timeline(
            case.organisation, OrgEventKind.ENFORCEMENT, f"{CaseStep(step).label} {on} {text}".strip(), acting_user
        )


@transaction.atomic
def case_open(
    *,
    acting_user,
    source: str,
    category: str,
    facts: str,
    filed_on: dt.date,
    org_id: int | None = None,
    group_name: str = "",
    division: str = "",
    inspection_id: int | None = None,
    case_number: str = "",
) -> EnforcementCase:
    """立案 against a registered organisation or an unregistered group (取缔 is for those)."""
    organisation = Organisation.objects.get(pk=org_id) if org_id else None
    division = organisation.division_id if organisation else division
    require(acting_user, roles=SOCIAL_ORG_STAFF_ROLES, division=division or None)
    if organisation is None and not group_name.strip():
        raise ValidationError({"group_name": _("Name the organisation or the unregistered group.")})
    if not division:
        raise ValidationError({"division": _("Choose the division.")})
    if source not in CaseSource.values:
        raise ValidationError({"source": _("Choose the source.")})
    if not ProblemCategory.objects.in_force(on=filed_on).filter(code=category).exists():
        raise ValidationError({"category": _("Choose a problem category.")})
    if not facts.strip():
        raise ValidationError({"facts": _("Describe the facts.")})
    if filed_on > timezone.localdate():
        raise ValidationError({"filed_on": _("The date cannot be in the future.")})
    inspection = None
    if inspection_id:
        inspection = AnnualInspection.objects.get(pk=inspection_id, organisation=organisation)
    case = EnforcementCase.objects.create(
        organisation=organisation,
        group_name="" if organisation else group_name.strip(),
        division_id=division,
        source=source,
        inspection=inspection,
        category=category,
        facts=facts.strip(),
        filed_on=filed_on,
        case_number=case_number.strip(),
    )
    _log(case, CaseStep.FILED, filed_on, acting_user, document=case.case_number, text=case.get_source_display())
    return case


def _check_decision(case, decisions, fine_amount, confiscated_amount, suspension_until, rectification_ordered,
                    rectification_due, on) -> None:  # fmt: skip
    errors = {}
    unknown = [d for d in decisions if d not in Decision.values]
    if unknown:
        errors["decisions"] = _("Unknown decision: %(d)s.") % {"d": "、".join(unknown)}
    if not decisions and not rectification_ordered:
        errors["decisions"] = _("Choose a decision, order rectification, or close the case as unfounded.")
    if case.organisation_id is None and set(decisions) & ORG_ONLY:
        errors["decisions"] = _("An unregistered group is banned (取缔), not penalised as an organisation.")
    if case.organisation_id is not None and Decision.BAN in decisions:
        errors["decisions"] = _("A ban is for unregistered groups.")
    if Decision.REVOCATION in decisions and Decision.SUSPENSION in decisions:
        errors["decisions"] = _("Suspension and revocation exclude each other.")
    if (Decision.FINE in decisions) != (fine_amount is not None and fine_amount > 0):
        errors["fine_amount"] = _("A fine has an amount; no fine, no amount.")
    if (Decision.CONFISCATION in decisions) != (confiscated_amount is not None and confiscated_amount > 0):
        errors["confiscated_amount"] = _("A confiscation has an amount; none, no amount.")
    if Decision.SUSPENSION in decisions and (suspension_until is None or suspension_until <= on):
        errors["suspension_until"] = _("A suspension runs until a later date.")
    if rectification_ordered and (rectification_due is None or rectification_due <= on):
        errors["rectification_due"] = _("Ordered rectification has a deadline after the decision.")
    if errors:
        raise ValidationError(errors)


def _apply_decision(case: EnforcementCase, on: dt.date, acting_user) -> None:
    """送达: the decision takes effect — status, restricted persons, credit lists (DOMAIN.md credit lists)."""
    if case.organisation_id is None:
        return
    organisation = locked_org(case.organisation_id)
    decisions = set(case.decisions)
    ref = case.case_number or f"#{case.pk}"

    def enter(ground):
        list_entry(organisation, ground, found_on=on, source=ListingSource.ENFORCEMENT, listed=True, reference=ref,
                   actor=acting_user)  # fmt: skip

    if Decision.REVOCATION in decisions:
        set_status(organisation, OrgStatus.REVOKED, on, ref, acting_user, suspended_until=None)
        if organisation.legal_representative_id:
            RestrictedPerson.objects.get_or_create(
                person_id=organisation.legal_representative_id, organisation=organisation,
                defaults={"reason": _("Legal representative of an organisation whose registration was revoked"),
                          "since": on},
            )  # fmt: skip
        enter("revocation")
    elif Decision.SUSPENSION in decisions:
        set_status(organisation, OrgStatus.SUSPENDED, on, ref, acting_user, suspended_until=case.suspension_until)
        enter("suspension")
    listing_rule = rule(ListingRule, on=on)
    large = Decision.FINE in decisions and case.fine_amount >= listing_rule.large_fine
    if large:
        enter("large_fine")
    small = not large and decisions & {Decision.WARNING, Decision.FINE}
    if small:
        enter("warning_small_fine")
        since = add_years(on, -listing_rule.repeat_window_years)
        earlier = (
            EnforcementCase.objects.filter(organisation=organisation, served_on__gte=since, served_on__lte=on)
            .exclude(pk=case.pk)
            .filter(decisions__overlap=[Decision.WARNING, Decision.FINE])
            .exclude(fine_amount__gte=listing_rule.large_fine)
            .count()
        )
        if earlier + 1 >= listing_rule.repeat_penalties:
            enter("repeat_penalties")


@transaction.atomic
def case_advance(
    *,
    acting_user,
    case_id: int,
    step: str,
    on: dt.date,
    document: str = "",
    text: str = "",
    hearing_requested: bool = False,
    hearing_on: dt.date | None = None,
    statement: str = "",
    decisions: list[str] | None = None,
    fine_amount: Decimal | None = None,
    confiscated_amount: Decimal | None = None,
    suspension_until: dt.date | None = None,
    rectification_ordered: bool = False,
    rectification_due: dt.date | None = None,
) -> EnforcementCase:
    """One step forward, in order; the date follows the previous step's and is not in the future. A case closes
    from 调查 or 告知 as unfounded (no decision), or after 执行 once ordered rectification is verified."""
    case = _locked(case_id)
    roles = SOCIAL_ORG_DECISION_ROLES if step in DECIDING_STEPS else SOCIAL_ORG_STAFF_ROLES
    require(acting_user, roles=roles, division=case.division_id)
    if case.step == CaseStep.CLOSED:
        raise ValidationError(_("The case is closed."))
    current = ORDER.index(case.step)
    unfounded = step == CaseStep.CLOSED and case.step in (CaseStep.INVESTIGATING, CaseStep.NOTIFIED)
    if step not in ORDER or (ORDER.index(step) != current + 1 and not unfounded):
        raise ValidationError(_("The next step is “%(step)s”.") % {"step": CaseStep(ORDER[current + 1]).label})
    last = case.steps.order_by("-on").values_list("on", flat=True).first() or case.filed_on
    if on < last or on > timezone.localdate():
        raise ValidationError(
            {"on": _("The date falls between the previous step (%(day)s) and today.") % {"day": last}}
        )
    fields = ["step"]
    if step == CaseStep.INVESTIGATING:
        case.investigated_on = on
        fields.append("investigated_on")
    elif step == CaseStep.NOTIFIED:
        case.notified_on, case.hearing_requested, case.statement = on, hearing_requested, statement.strip()
        fields += ["notified_on", "hearing_requested", "statement"]
    elif step == CaseStep.DECIDED:
        if case.hearing_requested and (hearing_on is None or hearing_on < case.notified_on or hearing_on > on):
            raise ValidationError({"hearing_on": _("A hearing was requested: give the day it was held.")})
        decisions = list(dict.fromkeys(decisions or []))
        _check_decision(case, decisions, fine_amount, confiscated_amount, suspension_until, rectification_ordered,
                        rectification_due, on)  # fmt: skip
        case.decisions, case.fine_amount, case.confiscated_amount = decisions, fine_amount, confiscated_amount
        case.suspension_until, case.decided_on, case.hearing_on = suspension_until, on, hearing_on
        case.rectification_ordered, case.rectification_due = rectification_ordered, rectification_due
        fields += ["decisions", "fine_amount", "confiscated_amount", "suspension_until", "decided_on", "hearing_on",
                   "rectification_ordered", "rectification_due"]  # fmt: skip
        text = (text + " " + case.get_decisions_display()).strip()
    elif step == CaseStep.SERVED:
        case.served_on = on
        fields.append("served_on")
    elif step == CaseStep.EXECUTED:
        case.executed_on = on
        fields.append("executed_on")
    elif step == CaseStep.CLOSED:
        if case.rectification_ordered and case.rectified is None:
            raise ValidationError(_("Verify the ordered rectification before closing the case."))
        if unfounded:
            text = (_("Closed as unfounded") + " " + text).strip()
        case.closed_on = on
        fields.append("closed_on")
    case.step = step
    case.save(update_fields=fields)
    _log(case, step, on, acting_user, document=document.strip(), text=text)
    if step == CaseStep.SERVED:
        _apply_decision(case, on, acting_user)
    return case


@transaction.atomic
def case_verify_rectification(
    *, acting_user, case_id: int, on: dt.date, rectified: bool, text: str = ""
) -> EnforcementCase:
    """整改验收: passed, or not done by the deadline (which enters the abnormal-activity list)."""
    case = _locked(case_id)
    require(acting_user, roles=SOCIAL_ORG_STAFF_ROLES, division=case.division_id)
    if not case.rectification_ordered:
        raise ValidationError(_("No rectification was ordered in this case."))
    if case.served_on is None:
        raise ValidationError(_("The decision has not been served yet."))
    if case.rectified is not None:
        raise ValidationError(
            _("The rectification was already verified on %(day)s.") % {"day": case.rectification_verified_on}
        )
    if on < case.served_on or on > timezone.localdate():
        raise ValidationError({"on": _("The date falls between the service of the decision and today.")})
    case.rectified = rectified
    case.rectification_verified_on = on
    case.save(update_fields=["rectified", "rectification_verified_on"])
    label = _("Rectification verified") if rectified else _("Rectification not done")
    _log(case, case.step, on, acting_user, text=f"{label} {text}".strip())
    if not rectified and case.organisation_id:
        list_entry(case.organisation, "rectification_overdue", found_on=on, source=ListingSource.ENFORCEMENT,
                   reference=case.case_number or f"#{case.pk}", actor=acting_user)  # fmt: skip
    return case
