"""Monthly payment rosters: one set-based statement per district and month, and the bank-ready xlsx."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from assistance.models import (
    PaymentRoster,
    RosterStatus,
)
from assistance.services.common import (
    month_start,
)
from dalian_minzheng.accounts.policy import ROSTER_ROLES
from dalian_minzheng.accounts.scope import require
from dalian_minzheng.people.models import Division, DivisionLevel
from dalian_minzheng.spreadsheets.writers import Sheet, write_workbook

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
        require(acting_user, roles=ROSTER_ROLES, division=district_code)
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
    headers = ["社区", "区划代码", "户主姓名", "公民身份号码", "开户银行", "银行账号", "救助类别", "户人数",
               "月保障金", "补发", "实发金额"]  # fmt: skip

    def records():
        with connection.cursor() as cursor:
            cursor.execute(ROSTER_EXPORT_SQL, [roster.pk])
            yield from cursor

    footer = ["合计", *([None] * 9), roster.total_amount]
    sheet = Sheet(f"{roster.month:%Y-%m}", headers, records(), widths=[20, 14, 10, 22, 16, 24], footer=footer)
    return write_workbook(target, [sheet], constant_memory=True)
