"""The monthly reconciliation of a district's payment roster (issue 12): the roster's total is proved to equal the
cases' amounts plus back pay minus stops, and any difference is listed case by case.

For a district and month:
- the cases on the books: started by the month (first payment month ≤ month), and paid last month or later (a case
  stopped before the previous month is no longer in the month's figures);
- each case's amount for the month: its latest amount change in force on the first of the month (a stop's zero row
  left out: a stop shows as a stop, not as an amount of 0), else its current amount — the roster's own rule;
- stops: the cases on the books that are not paid for the month (their last payment month is before it);
- back pay: the raise back pay the roster took (RaiseBackPay.roster);
- expected = cases' amounts − stops + back pay; the roster's total must be the same. A roster built before a later
  change (a review, a stop, a raise applied after the build) differs, and the cases that differ are listed with what
  was expected and what the roster pays.
The raises in force from the month, or whose back pay the roster pays, are shown too (their cases in the district
and the change of the monthly total).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.http import Http404
from django.utils.translation import gettext as _

from assistance.models import PaymentRoster
from dalian_minzheng.accounts.scope import scope_prefix
from dalian_minzheng.people.idnumbers import mask
from dalian_minzheng.people.models import Division, DivisionLevel

CASES_SQL = """
WITH on_books AS (
    SELECT c.id, c.division_id, c.monthly_amount,
           (c.last_payment_month >= %(month)s OR (c.last_payment_month IS NULL AND c.status <> 'stopped')) AS paid
      FROM assistance_case c
     WHERE c.division_id LIKE %(prefix)s
       AND c.first_payment_month <= %(month)s
       AND (c.last_payment_month >= %(previous)s
            OR (c.last_payment_month IS NULL AND (c.status <> 'stopped' OR c.stopped_on >= %(previous)s)))
),
expected AS (
    SELECT b.id AS case_id, b.division_id, b.paid, COALESCE(ch.new_amount, b.monthly_amount) AS amount
      FROM on_books b
      LEFT JOIN LATERAL (
          SELECT x.new_amount FROM assistance_caseamountchange x
           WHERE x.case_id = b.id AND x.effective_from <= %(month)s AND x.reason <> 'stop'
           ORDER BY x.effective_from DESC, x.id DESC LIMIT 1
      ) ch ON true
),
back_pay AS (
    SELECT case_id, SUM(amount) AS amount FROM raises_raisebackpay WHERE roster_id = %(roster)s GROUP BY case_id
),
paid AS (
    SELECT case_id, amount, back_pay FROM assistance_payment WHERE roster_id = %(roster)s
)
SELECT COALESCE(e.case_id, p.case_id), e.amount, e.paid, COALESCE(bp.amount, 0), p.amount, p.back_pay
  FROM expected e
  FULL JOIN paid p ON p.case_id = e.case_id
  LEFT JOIN back_pay bp ON bp.case_id = COALESCE(e.case_id, p.case_id)
"""

RAISES_SQL = """
SELECT ch.source_ref, COUNT(*), COALESCE(SUM(ch.new_amount - ch.old_amount), 0)
  FROM assistance_caseamountchange ch
  JOIN assistance_case c ON c.id = ch.case_id
 WHERE ch.reason = 'raise' AND c.division_id LIKE %(prefix)s
   -- raises in force from this month, and the raises whose back pay this roster pays
   AND (ch.effective_from = %(month)s
        OR ch.source_ref IN (SELECT 'raise:' || b.raise_record_id FROM raises_raisebackpay b
                              WHERE b.roster_id = %(roster)s))
 GROUP BY ch.source_ref ORDER BY ch.source_ref
"""

NAMES_SQL = """
SELECT c.id, c.division_id, pe.name, pe.id_number, pr.name
  FROM assistance_case c
  JOIN assistance_application a ON a.id = c.application_id
  JOIN people_person pe ON pe.id = a.applicant_id
  JOIN assistance_programme pr ON pr.id = c.programme_id
 WHERE c.id = ANY(%(ids)s)
"""


@dataclass
class Difference:
    case_id: int
    division_id: str = ""
    name: str = ""
    id_number: str = ""
    programme: str = ""
    expected: Decimal = Decimal("0")
    paid: Decimal = Decimal("0")
    why: str = ""

    @property
    def difference(self) -> Decimal:
        return self.paid - self.expected

    @property
    def why_label(self) -> str:
        return {
            "not_on_books": _("paid, but not a case on the books for the month"),
            "missing": _("not on the roster"),
            "stopped": _("stopped, but on the roster"),
            "amount": _("the amount changed after the roster was built"),
            "back_pay": _("back pay differs"),
        }.get(self.why, self.why)


@dataclass
class Reconciliation:
    district: str
    district_name: str
    month: dt.date
    roster: PaymentRoster | None
    cases: int = 0
    cases_total: Decimal = Decimal("0")
    stops: int = 0
    stops_total: Decimal = Decimal("0")
    back_pay_cases: int = 0
    back_pay_total: Decimal = Decimal("0")
    roster_cases: int = 0
    roster_total: Decimal = Decimal("0")  # the roster's recorded total
    rows_total: Decimal = Decimal("0")  # the sum of its payment rows
    raises: list[dict] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def expected(self) -> Decimal:
        return self.cases_total - self.stops_total + self.back_pay_total

    @property
    def difference(self) -> Decimal:
        return self.roster_total - self.expected

    @property
    def balanced(self) -> bool:
        return (
            self.roster is not None
            and self.difference == 0
            and self.rows_total == self.roster_total
            and not self.differences
        )


def districts_for(*, user) -> list[tuple[str, str]]:
    """The districts the user may reconcile: their own (a district admin), or all (city admin, auditor)."""
    prefix = scope_prefix(user)
    if prefix is None:
        return []
    qs = Division.objects.filter(level=DivisionLevel.DISTRICT).order_by("code")
    if prefix:
        qs = qs.filter(code=prefix[:6])
    return list(qs.values_list("code", "name"))


def reconcile(*, user, district: str, month: dt.date) -> Reconciliation:
    """The reconciliation of `district`'s roster for `month`, scoped to the user's division (404 outside it)."""
    allowed = dict(districts_for(user=user))
    if district not in allowed:
        raise Http404
    month = month.replace(day=1)
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    roster = PaymentRoster.objects.filter(district_id=district, month=month).first()
    result = Reconciliation(district, allowed[district], month, roster)
    args = {"month": month, "previous": previous, "prefix": f"{district}%", "roster": roster.pk if roster else 0}
    differences: dict[int, Difference] = {}
    with connection.cursor() as cursor:
        cursor.execute(CASES_SQL, args)
        for case_id, amount, is_paid, back_pay, paid_amount, paid_back_pay in cursor.fetchall():
            if amount is not None:
                result.cases += 1
                result.cases_total += amount
                if not is_paid:
                    result.stops += 1
                    result.stops_total += amount
            if back_pay:
                result.back_pay_cases += 1
                result.back_pay_total += back_pay
            expected = (amount if amount is not None and is_paid else Decimal("0")) + back_pay
            paid = (paid_amount or Decimal("0")) + (paid_back_pay or Decimal("0"))
            if paid_amount is not None:
                result.roster_cases += 1
                result.rows_total += paid
            if roster is not None and paid != expected:
                if amount is None:
                    why = "not_on_books"
                elif paid_amount is None:
                    why = "missing" if is_paid else "stopped"
                elif not is_paid:
                    why = "stopped"
                elif paid_amount != amount:
                    why = "amount"
                else:
                    why = "back_pay"
                differences[case_id] = Difference(case_id, expected=expected, paid=paid, why=why)
        cursor.execute(RAISES_SQL, args)
        refs = cursor.fetchall()
        if differences:
            cursor.execute(NAMES_SQL, {"ids": list(differences)})
            for case_id, division_id, name, id_number, programme in cursor.fetchall():
                d = differences[case_id]
                d.division_id, d.name, d.id_number, d.programme = division_id, name, mask(id_number), programme
    # the roster's own recorded total (what is paid out); its rows are summed separately
    result.roster_total = roster.total_amount if roster is not None else Decimal("0")
    if refs:
        from assistance.raises.models import Raise

        titles = dict(Raise.objects.filter(pk__in=[int(r.split(":")[1]) for r, *_ in refs]).values_list("pk", "title"))
        result.raises = [
            {"id": int(ref.split(":")[1]), "title": titles.get(int(ref.split(":")[1]), ref), "cases": n, "change": d}
            for ref, n, d in refs
        ]
    result.differences = sorted(differences.values(), key=lambda d: (d.division_id, d.case_id))
    return result
