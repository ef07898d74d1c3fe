"""Writes for petitions. Each service checks who may act and that the state change is allowed, inside one
transaction with the petition row locked, so two users acting at once give one outcome."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.petitions.models import OPEN_STATUSES, Channel, Petition, PetitionStatus, Satisfaction
from dalian_minzheng.accounts.models import Role
from dalian_minzheng.accounts.policy import STAFF_WRITERS
from dalian_minzheng.accounts.scope import can_see_division, require
from dalian_minzheng.core.workdays import add_workdays
from dalian_minzheng.people.models import Division, Person

# The bureau's handling target for an allowance petition, in working days from receipt; a registering user may
# set another limit per petition (the 信访工作条例 allows at most 60 calendar days, 90 when extended).
DEFAULT_DUE_WORKING_DAYS = 15
MAX_DUE_WORKING_DAYS = 60


def _locked(petition: Petition) -> Petition:
    return Petition.objects.select_for_update().get(pk=petition.pk)


def _next_number(received_on: dt.date) -> str:
    # Serialise numbering per year with a transaction-level advisory lock, so two registrations never take the
    # same number; the unique constraint is the backstop.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [7_000_000 + received_on.year])
    prefix = f"XF{received_on.year}-"
    last = (
        Petition.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True).first()
    )
    seq = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{seq:06d}"


@transaction.atomic
def petition_register(
    *,
    acting_user,
    division: Division,
    petitioner_name: str = "",
    petitioner: Person | None = None,
    petitioner_phone: str = "",
    channel: str,
    received_on: dt.date,
    subject: str,
    content: str,
    case=None,
    application=None,
    due_working_days: int = DEFAULT_DUE_WORKING_DAYS,
) -> Petition:
    require(acting_user, roles=STAFF_WRITERS, division=division.code)
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Choose a channel.")})
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("The date received cannot be in the future.")})
    if not 1 <= due_working_days <= MAX_DUE_WORKING_DAYS:
        raise ValidationError(
            {
                "due_working_days": _("The time limit must be between 1 and %(max)d working days.")
                % {"max": MAX_DUE_WORKING_DAYS}
            }
        )
    if petitioner is not None:
        require(acting_user, roles=STAFF_WRITERS, division=petitioner.division_id)
        petitioner_name = petitioner_name or petitioner.name
    if not petitioner_name.strip():
        raise ValidationError({"petitioner_name": _("Enter the petitioner's name.")})
    # A linked case or application must be one the user may see and must lie in the petition's division tree.
    for field, linked in (("case", case), ("application", application)):
        if linked is None:
            continue
        require(acting_user, roles=STAFF_WRITERS, division=linked.division_id)
        if not (linked.division_id.startswith(division.scope_prefix) or division.code.startswith(linked.division_id)):
            raise ValidationError({field: _("The linked record belongs to another division.")})
    return Petition.objects.create(
        number=_next_number(received_on),
        division=division,
        petitioner=petitioner,
        petitioner_name=petitioner_name.strip(),
        petitioner_phone=petitioner_phone.strip(),
        channel=channel,
        received_on=received_on,
        subject=subject.strip(),
        content=content.strip(),
        case=case,
        application=application,
        due_working_days=due_working_days,
        due_on=add_workdays(received_on, due_working_days),
        created_by=acting_user,
    )


@transaction.atomic
def petition_assign(*, petition: Petition, assignee, acting_user) -> Petition:
    """Assign (or re-assign) an open petition to a member of staff who can see its division."""
    petition = _locked(petition)
    require(acting_user, roles=STAFF_WRITERS, division=petition.division_id)
    if petition.status not in OPEN_STATUSES:
        raise ValidationError(_("Only an open petition can be assigned."))
    if (
        assignee is None
        or not assignee.is_active
        or assignee.role not in STAFF_WRITERS
        or not can_see_division(assignee, petition.division_id)
    ):
        raise ValidationError({"assignee": _("The handler must be active staff responsible for this division.")})
    # A caseworker may take a petition or pass it to a colleague; re-assigning someone else's is an admin's call.
    if (
        acting_user.role == Role.CASEWORKER
        and petition.assigned_to_id not in (None, acting_user.pk)
        and not acting_user.is_superuser
    ):
        raise PermissionDenied
    petition.assigned_to = assignee
    petition.assigned_on = timezone.localdate()
    if petition.status == PetitionStatus.REGISTERED:
        petition.status = PetitionStatus.ASSIGNED
    petition.save(update_fields=["assigned_to", "assigned_on", "status", "updated_at"])
    return petition


def _require_handler_or_admin(petition: Petition, acting_user) -> None:
    require(acting_user, roles=STAFF_WRITERS, division=petition.division_id)
    if (
        acting_user.role == Role.CASEWORKER
        and petition.assigned_to_id != acting_user.pk
        and not acting_user.is_superuser
    ):
        raise PermissionDenied


@transaction.atomic
def petition_start(*, petition: Petition, acting_user) -> Petition:
    petition = _locked(petition)
    _require_handler_or_admin(petition, acting_user)
    if petition.status != PetitionStatus.ASSIGNED:
        raise ValidationError(_("Only an assigned petition can be started."))
    petition.status = PetitionStatus.IN_PROGRESS
    petition.save(update_fields=["status", "updated_at"])
    return petition


@transaction.atomic
def petition_resolve(
    *, petition: Petition, acting_user, resolution: str, resolved_on: dt.date, satisfaction: str = Satisfaction.UNKNOWN
) -> Petition:
    petition = _locked(petition)
    _require_handler_or_admin(petition, acting_user)
    if petition.status not in (PetitionStatus.ASSIGNED, PetitionStatus.IN_PROGRESS):
        raise ValidationError(_("Only a petition being handled can be resolved."))
    errors = {}
    if not resolution.strip():
        errors["resolution"] = _("Describe how the petition was resolved.")
    if resolved_on < petition.received_on:
        errors["resolved_on"] = _("The resolution date cannot be before the date received.")
    elif resolved_on > timezone.localdate():
        errors["resolved_on"] = _("The resolution date cannot be in the future.")
    if satisfaction not in Satisfaction.values:
        errors["satisfaction"] = _("Choose the petitioner's satisfaction.")
    if errors:
        raise ValidationError(errors)
    petition.status = PetitionStatus.RESOLVED
    petition.resolution = resolution.strip()
    petition.resolved_on = resolved_on
    petition.satisfaction = satisfaction
    petition.save(update_fields=["status", "resolution", "resolved_on", "satisfaction", "updated_at"])
    return petition


@transaction.atomic
def petition_close(*, petition: Petition, acting_user, reason: str = "") -> Petition:
    """Close a resolved petition (archive), or an open one that is not pursued, with a reason."""
    petition = _locked(petition)
    require(acting_user, roles=STAFF_WRITERS, division=petition.division_id)
    if petition.status == PetitionStatus.CLOSED:
        raise ValidationError(_("The petition is already closed."))
    if petition.status != PetitionStatus.RESOLVED:
        # closing an unresolved petition ends it without a resolution: an admin's decision, with reasons
        if acting_user.role == Role.CASEWORKER and not acting_user.is_superuser:
            raise PermissionDenied
        if not reason.strip():
            raise ValidationError({"reason": _("Give the reason for closing a petition that was not resolved.")})
    petition.status = PetitionStatus.CLOSED
    petition.closed_on = timezone.localdate()
    petition.close_reason = reason.strip()
    petition.save(update_fields=["status", "closed_on", "close_reason", "updated_at"])
    return petition
