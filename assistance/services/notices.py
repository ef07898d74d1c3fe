"""公示: the seven-day public notice, its objections and the submission to the district after it."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.models import (
    Application,
    ApplicationStatus,
    EventKind,
    NoticeObjection,
    NoticeStatus,
    ObjectionOutcome,
    PublicNotice,
)
from assistance.services.common import (
    CASEWORK_ROLES,
    DAYS_DECISION,
    NOTICE_DAYS,
    _event,
    _lock,
    _require_status,
)
from dalian_minzheng.accounts.scope import require
from dalian_minzheng.core import workdays
from dalian_minzheng.people import idnumbers


@transaction.atomic
def notice_start(*, application_id: int, acting_user, starts_on: dt.date | None = None) -> PublicNotice:
    """公示 in the community for 7 days (inclusive): masked name, household size and amount only."""
    application = _lock(application_id)
    require(acting_user, roles=CASEWORK_ROLES, division=application.division_id)
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
    require(acting_user, roles=CASEWORK_ROLES, division=application.division_id)
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
    require(acting_user, roles=CASEWORK_ROLES, division=application.division_id)
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
    require(acting_user, roles=CASEWORK_ROLES, division=application.division_id)
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
