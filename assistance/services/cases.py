"""A case's amount changes and its stop (停发)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.models import (
    Case,
    CaseAmountChange,
    CaseStatus,
    EventKind,
)
from assistance.services.common import (
    CASEWORK_ROLES,
    DECISION_ROLES,
    _event,
    add_months,
    month_start,
)
from dalian_minzheng.accounts.scope import require

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
    basis: dict | None = None,
    amount_basis: str | None = None,
) -> CaseAmountChange | None:
    """Record an amount change with its reason; with a source_ref, applying the same source twice does nothing."""
    case = Case.objects.select_for_update().select_related("application").get(pk=case_id)
    if acting_user is not None:
        require(acting_user, roles=CASEWORK_ROLES, division=case.division_id)
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
        basis=basis if basis is not None else {"rule": "decision"},
    )
    case.monthly_amount = new_amount
    fields = ["monthly_amount", "updated_at"]
    if amount_basis:  # computed from a known income: no longer the imported amount
        case.amount_basis = amount_basis
        fields.append("amount_basis")
    case.save(update_fields=fields)
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
    require(acting_user, roles=DECISION_ROLES, division=case.division_id)
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
