"""The registry: registration, changes, suspension's end, deregistration (注销) step by step."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dalian_minzheng.accounts.scope import require
from dalian_minzheng.people.services import person_get_or_create_by_id_number
from social_orgs.credit_code import TYPE_DIGITS, credit_code_errors
from social_orgs.models import (
    TYPE_DIGIT,
    Deregistration,
    DeregistrationStep,
    Organisation,
    OrgEventKind,
    OrgStatus,
)
from social_orgs.services.common import SOCIAL_ORG_DECISION_ROLES, SOCIAL_ORG_STAFF_ROLES, guard, locked_org, timeline

# 《社会团体登记管理条例》: the deregistration is applied for within 15 days of the liquidation's end.
DEREGISTRATION_APPLY_DAYS = 15
EDITABLE = (
    "name",
    "registration_authority",
    "business_scope",
    "supervising_unit",
    "address",
    "party_branch",
    "party_members",
)
DEREGISTRATION_ORDER = list(DeregistrationStep.values)


def code_problems(code: str, org_type: str) -> list[str]:
    return credit_code_errors(code, org_type=TYPE_DIGITS[TYPE_DIGIT[org_type]])


def _legal_representative(acting_user, id_number: str, name: str, division: str):
    if not id_number:
        return None
    person, _created = person_get_or_create_by_id_number(
        acting_user=acting_user, id_number=id_number, name=name, division=division
    )
    return person


@transaction.atomic
def organisation_register(
    *,
    acting_user,
    division: str,
    credit_code: str,
    org_type: str,
    registered_on: dt.date,
    legal_representative_id_number: str = "",
    legal_representative_name: str = "",
    **fields,
) -> Organisation:
    require(acting_user, roles=SOCIAL_ORG_STAFF_ROLES, division=division)
    problems = code_problems(credit_code, org_type)
    if problems:
        raise ValidationError({"credit_code": problems})
    if registered_on > timezone.localdate():
        raise ValidationError({"registered_on": _("The registration date cannot be in the future.")})
    organisation = Organisation(
        division_id=division,
        credit_code=credit_code,
        org_type=org_type,
        registered_on=registered_on,
        status_since=registered_on,
        legal_representative=_legal_representative(
            acting_user, legal_representative_id_number, legal_representative_name, division
        ),
        **{k: v for k, v in fields.items() if k in EDITABLE},
    )
    try:
        with transaction.atomic():
            organisation.save()
    except IntegrityError:
        raise ValidationError(
            {"credit_code": _("An organisation with this credit code is already registered.")}
        ) from None
    timeline(organisation, OrgEventKind.REGISTERED, organisation.get_org_type_display(), acting_user)
    return organisation


@transaction.atomic
def organisation_update(
    *, acting_user, org_id: int, legal_representative_id_number: str = "", legal_representative_name: str = "",
    **fields,
) -> Organisation:  # fmt: skip
    organisation = locked_org(org_id)
    guard(acting_user, organisation)
    changed = [n for n, v in fields.items() if n in EDITABLE and getattr(organisation, n) != v]
    for name in changed:
        setattr(organisation, name, fields[name])
    person = _legal_representative(
        acting_user, legal_representative_id_number, legal_representative_name, organisation.division_id
    )
    if person is not None and person.pk != organisation.legal_representative_id:
        organisation.legal_representative = person
        changed.append("legal_representative")
    if not changed:
        return organisation
    organisation.save(update_fields=[*changed, "updated_at"])
    labels = "、".join(str(Organisation._meta.get_field(n).verbose_name) for n in changed)
    timeline(organisation, OrgEventKind.CHANGED, labels, acting_user)
    return organisation


def set_status(organisation: Organisation, status: str, on: dt.date, text: str, actor, **extra) -> None:
    """The one place an organisation's status changes (the timeline says why)."""
    organisation.status = status
    organisation.status_since = on
    for name, value in extra.items():
        setattr(organisation, name, value)
    organisation.save(update_fields=["status", "status_since", *extra, "updated_at"])
    timeline(organisation, OrgEventKind.STATUS, f"{organisation.get_status_display()} · {text}", actor)


@transaction.atomic
def organisation_resume(*, acting_user, org_id: int, on: dt.date) -> Organisation:
    """限期停止活动 ends: the organisation is active again (not before the suspension's end date)."""
    organisation = locked_org(org_id)
    guard(acting_user, organisation, roles=SOCIAL_ORG_DECISION_ROLES)
    if organisation.status != OrgStatus.SUSPENDED:
        raise ValidationError(_("The organisation is not suspended."))
    if organisation.suspended_until and on < organisation.suspended_until:
        raise ValidationError(
            _("The suspension runs until %(day)s.") % {"day": organisation.suspended_until.isoformat()}
        )
    set_status(organisation, OrgStatus.REGISTERED, on, _("Suspension ended"), acting_user, suspended_until=None)
    return organisation


@transaction.atomic
def deregistration_advance(*, acting_user, org_id: int, step: str, on: dt.date) -> Deregistration:
    """注销 one step at a time, in order; the public notice deregisters the organisation."""
    organisation = locked_org(org_id)
    guard(acting_user, organisation)
    if organisation.status not in (OrgStatus.REGISTERED, OrgStatus.SUSPENDED):
        raise ValidationError(_("Only a registered organisation can be deregistered."))
    if on > timezone.localdate():
        raise ValidationError({"on": _("The date cannot be in the future.")})
    current = Deregistration.objects.select_for_update().filter(organisation=organisation).first()
    expected = DEREGISTRATION_ORDER[0] if current is None else None
    if current is not None:
        index = DEREGISTRATION_ORDER.index(current.step)
        if index + 1 >= len(DEREGISTRATION_ORDER):
            raise ValidationError(_("The deregistration is complete."))
        expected = DEREGISTRATION_ORDER[index + 1]
    if step != expected:
        raise ValidationError(
            _("The next step is “%(step)s”.") % {"step": DeregistrationStep(expected).label}, code="order"
        )
    if step == DeregistrationStep.CONSENT:
        current = Deregistration.objects.create(organisation=organisation, step=step, consent_on=on)
    else:
        previous = {
            DeregistrationStep.LIQUIDATION: current.consent_on,
            DeregistrationStep.LIQUIDATED: current.liquidation_started_on,
            DeregistrationStep.APPLIED: current.liquidation_ended_on,
            DeregistrationStep.RETURNED: current.applied_on,
            DeregistrationStep.NOTICE: current.returned_on,
        }[step]
        if on < previous:
            raise ValidationError(
                {"on": _("This step cannot come before the previous one (%(day)s).") % {"day": previous}}
            )
        if step == DeregistrationStep.APPLIED and (on - current.liquidation_ended_on).days > DEREGISTRATION_APPLY_DAYS:
            raise ValidationError(
                {"on": _("The application is due within %(n)s days of the liquidation's end (by %(day)s).")
                 % {"n": DEREGISTRATION_APPLY_DAYS,
                    "day": current.liquidation_ended_on + dt.timedelta(days=DEREGISTRATION_APPLY_DAYS)}}
            )  # fmt: skip
        field = {
            DeregistrationStep.LIQUIDATION: "liquidation_started_on",
            DeregistrationStep.LIQUIDATED: "liquidation_ended_on",
            DeregistrationStep.APPLIED: "applied_on",
            DeregistrationStep.RETURNED: "returned_on",
            DeregistrationStep.NOTICE: "notice_on",
        }[step]
        setattr(current, field, on)
        current.step = step
        current.save(update_fields=[field, "step"])
    timeline(organisation, OrgEventKind.DEREGISTRATION, f"{DeregistrationStep(step).label} {on}", acting_user)
    if step == DeregistrationStep.NOTICE:
        set_status(organisation, OrgStatus.DEREGISTERED, on, _("Deregistration notice published"), acting_user)
    return current
