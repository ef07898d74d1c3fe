"""The back pay of a raise on the payment rosters: the hook a roster (re)build calls, and what is still owed."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, transaction

from assistance.models import PaymentRoster
from assistance.raises.models import RaiseBackPay

BACK_PAY_SQL = """
WITH owed AS (
    UPDATE raises_raisebackpay b
       SET roster_id = %(roster)s, paid_month = %(month)s
     WHERE (b.roster_id IS NULL OR b.roster_id = %(roster)s)
       AND b.division_id LIKE %(prefix)s
       AND EXISTS (SELECT 1 FROM assistance_payment p WHERE p.roster_id = %(roster)s AND p.case_id = b.case_id)
    RETURNING b.case_id, b.amount
),
per_case AS (SELECT case_id, SUM(amount) AS total FROM owed GROUP BY case_id)
UPDATE assistance_payment p
   SET back_pay = per_case.total
  FROM per_case
 WHERE p.roster_id = %(roster)s AND p.case_id = per_case.case_id
"""


def back_pay_apply_to_roster(*, roster: PaymentRoster) -> int:
    """The roster hook: put every raise back pay owed in the roster's district on the roster's payments, and mark
    it as paid by this roster, so it is paid once. `assistance.services.build_roster` calls it (registered in
    assistance/apps.py) in the transaction that (re)builds the roster, after the payments are inserted. Rebuilding
    the roster gives the same back pay: rows already taken by this roster are taken again; rows taken by another
    roster are not.

    Back pay of a case that has no payment in the roster (stopped since) stays owed. Returns the cases paid."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(BACK_PAY_SQL, {"roster": roster.pk, "month": roster.month, "prefix": f"{roster.district_id}%"})
        paid = cursor.rowcount
        cursor.execute(
            "SELECT COUNT(*), COALESCE(SUM(amount + back_pay), 0) FROM assistance_payment WHERE roster_id = %s",
            [roster.pk],
        )
        count, total = cursor.fetchone()
    PaymentRoster.objects.filter(pk=roster.pk).update(case_count=count, total_amount=total)
    roster.case_count, roster.total_amount = count, total
    return paid


def back_pay_owed(*, district_code: str) -> dict[int, Decimal]:
    """Raise back pay not yet taken by any roster, per case, in a district (or any division prefix)."""
    owed: dict[int, Decimal] = {}
    rows = RaiseBackPay.objects.filter(roster__isnull=True, division__code__startswith=district_code)
    for case_id, amount in rows.values_list("case_id", "amount"):
        owed[case_id] = owed.get(case_id, Decimal("0")) + amount
    return owed
