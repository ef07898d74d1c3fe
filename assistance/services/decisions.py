"""审核确认: the district admin's approval (which opens the case) or refusal, and the written refusal notice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance import amounts, notifications
from assistance.models import (
    AmountChangeReason,
    Application,
    ApplicationStatus,
    Case,
    CaseAmountChange,
    CheckStatus,
    EventKind,
    NotificationKind,
)
from assistance.services.common import (
    CASEWORK_ROLES,
    DAYS_REFUSAL_NOTICE,
    DECISION_ROLES,
    _event,
    _lock,
    _require_status,
    add_months,
    calculate_amount,
    current_household_size,
    month_start,
    next_review_due,
)
from dalian_minzheng.accounts.scope import require
from dalian_minzheng.core import workdays

# --- 审核确认 ---------------------------------------------------------------------------------------------------


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
    require(acting_user, roles=DECISION_ROLES, division=application.division_id)
    _require_status(application, ApplicationStatus.PENDING_DECISION)
    if application.check_status != CheckStatus.CLEAR:
        raise ValidationError(
            _("The cross-department check is “%(status)s”; approval needs a clear check.")
            % {"status": application.get_check_status_display()},
            code="check",
        )
    decided_on = decided_on or timezone.localdate()
    size = application.household_size or current_household_size(application.household_id) or 1
    basis = {"rule": "decision", "size": size}
    if amount is None:
        basis = amounts.explain(
            programme=application.programme,
            district_code=application.division_id[:6],
            on=decided_on,
            household_size=size,
            income_per_capita=application.monthly_income_per_capita or Decimal("0"),
            care_level=application.care_level,
        )
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
        basis={**basis, "decision": "approval", "decided_on": decided_on.isoformat()},
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
    require(acting_user, roles=DECISION_ROLES, division=application.division_id)
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
    require(acting_user, roles=CASEWORK_ROLES, division=application.division_id)
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
