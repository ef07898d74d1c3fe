"""动态管理: deciding a case review, and opening the scheduled reviews that are due."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance import amounts, notifications
from assistance.models import (
    AmountBasis,
    AmountChangeReason,
    CalculationMethod,
    Case,
    CaseAmountChange,
    CaseReview,
    CaseStatus,
    EventKind,
    ReviewOutcome,
    ReviewTrigger,
)
from assistance.services.cases import case_change_amount
from assistance.services.common import (
    CASEWORK_ROLES,
    DECISION_ROLES,
    _event,
    add_months,
    calculate_amount,
    month_start,
    next_review_due,
)
from dalian_minzheng.accounts.scope import require


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
    require(acting_user, roles=roles, division=case.division_id)
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
    basis = None
    if outcome in (ReviewOutcome.RAISE, ReviewOutcome.REDUCE):
        if new_amount is None and income is None and case.programme.calculation != CalculationMethod.FIXED_PER_PERSON:
            # an imported case whose income was never recorded: computing from it would read it as 0 (issue 12)
            raise ValidationError(
                _("The household's income is not recorded (imported case): enter the income or the new amount."),
                code="income",
            )
        if new_amount is None:
            basis = amounts.explain(
                programme=case.programme,
                district_code=case.division_id[:6],
                on=next_month,
                household_size=size,
                income_per_capita=income,
                care_level=case.care_level,
            )
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
            basis={
                **(basis or {"rule": "decision", "size": size, "income": None if income is None else str(income)}),
                "review": review.pk,
                "decided_on": decided_on.isoformat(),
            },
            amount_basis=AmountBasis.STANDARD if basis else None,
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
            basis={"rule": "stop", "review": review.pk, "decided_on": decided_on.isoformat()},
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
            WHERE c.status = ANY(%s) AND c.next_review_due <= %s
              AND NOT EXISTS (SELECT 1 FROM assistance_casereview r WHERE r.case_id = c.id AND r.outcome = '')
            """,
            [ReviewTrigger.SCHEDULED, "定期复核", on, [CaseStatus.ACTIVE, CaseStatus.UNDER_REVIEW], on],
        )
        return cursor.rowcount
