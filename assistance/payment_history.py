"""Import kind "historical payments" (历史发放记录): a district loads what it paid in the years before the portal,
one row per case, month and programme, so the year-end report and the statistics for those years are computed from
records like any other year.

A row names the case by the head of household's ID number (the applicant, the roster's payee) and the programme;
among that household's cases of the programme the one in force that month is taken (the latest started on or before
it, else the earliest). What a row becomes, set-based: a payment (the roster's own table, `assistance_payment`) on the
month's roster of the case's district. A month's roster is created for the import (status ready, `built_at` empty:
loaded, not built); a month whose roster the portal built is refused (rebuild it there). Re-importing the same file
changes nothing; a different amount for a (case, month) already loaded replaces it ("updated"). The rosters'
counts and totals are recomputed from their payments after each import.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistance.spreadsheet_kinds import PROGRAMME_CHOICES, _decimal
from dalian_minzheng.spreadsheets.kinds import ID_NUMBER, _duplicate_sql, _outside_scope_sql
from dalian_minzheng.spreadsheets.registry import Column, ImportKind, Rejection, RowError, register

# The case a stage row `s` names: the applicant's case of the programme in force that month.
CASE_OF_ROW = """LEFT JOIN LATERAL (
    SELECT c.id, c.division_id, c.programme_id FROM people_person p
    JOIN assistance_application a ON a.applicant_id = p.id
    JOIN assistance_case c ON c.application_id = a.id
    JOIN assistance_programme g ON g.id = c.programme_id AND g.code = s.programme_code
    WHERE p.id_number = s.id_number
    ORDER BY (c.first_payment_month <= s.month) DESC,
             CASE WHEN c.first_payment_month <= s.month THEN c.first_payment_month END DESC NULLS LAST,
             c.first_payment_month, c.id
    LIMIT 1) c ON true"""


@register
class PaymentHistoryKind(ImportKind):
    key = "assistance.payments"
    writes = ("assistance.Payment", "assistance.PaymentRoster")
    label = gettext_lazy("Historical payments")
    description = gettext_lazy(
        "One row per case, month and programme paid before the portal: the head of household's ID number, the "
        "programme, the month and the amount paid. The case must already be in the portal (import existing cases "
        "first)."
    )
    lock_key = "payments"
    columns = [
        Column("name", gettext_lazy("Name"), aliases=("姓名", "户主姓名"), width=10),
        ID_NUMBER,
        Column(
            "programme",
            gettext_lazy("Programme"),
            aliases=("救助类别", "保障类别", "救助项目"),
            required=True,
            choices=PROGRAMME_CHOICES,
            width=16,
        ),
        Column("month", gettext_lazy("Payment month"), aliases=("发放月份", "月份"), required=True, kind="date"),
        Column("amount", gettext_lazy("Amount paid"), aliases=("发放金额", "金额", "保障金额"), required=True),
        Column("back_pay", gettext_lazy("Back pay"), aliases=("补发金额", "补发")),
    ]
    staging = [
        ("row_number", "integer"),
        ("id_number", "varchar(18)"),
        ("programme_code", "varchar(40)"),
        ("month", "date"),
        ("amount", "numeric(10,2)"),
        ("back_pay", "numeric(10,2)"),
    ]

    def validate_row(self, row, ctx):
        from decimal import Decimal

        amount = _decimal(row, "amount", True, Decimal("100000"))
        back_pay = _decimal(row, "back_pay", False, Decimal("1000000")) or Decimal("0")
        if amount + back_pay <= 0:
            raise RowError("amount", str(amount), _("Enter an amount above zero."))
        month = row["month"].replace(day=1)
        if month >= ctx.today.replace(day=1):
            raise RowError("month", str(row["month"]), _("Historical payments are for months before this one."))
        return (ctx.row_number, row["id_number"].number, row["programme"], month, amount, back_pay)

    def reject_sql(self, ctx):
        return [
            Rejection(
                "month",
                "s.month",
                _duplicate_sql("id_number, programme_code, month"),
                _("This case appears more than once for the same month."),
                file_only=True,
            ),
            (
                "id_number",
                "s.id_number",
                f"SELECT s.row_number FROM stage s {CASE_OF_ROW} WHERE c.id IS NULL",
                _("No case of this programme for this ID number; import the existing cases first."),
            ),
            (
                "id_number",
                "s.id_number",
                f"SELECT s.row_number FROM stage s {CASE_OF_ROW} WHERE {_outside_scope_sql(ctx, 'c.division_id')}",
                _("This case is in another division, outside your area."),
            ),
            (
                "month",
                "s.month",
                f"""SELECT s.row_number FROM stage s {CASE_OF_ROW}
                    JOIN assistance_paymentroster r ON r.month = s.month AND r.district_id = left(c.division_id, 6)
                    WHERE r.built_at IS NOT NULL""",
                _("The portal built this month's roster for the district; rebuild it there instead."),
            ),
        ]

    def classify_sql(self, ctx):
        return f"""SELECT count(*) FILTER (WHERE p.id IS NULL),
                          count(*) FILTER (WHERE p.id IS NOT NULL
                                           AND (p.amount, p.back_pay) IS DISTINCT FROM (s.amount, s.back_pay)),
                          count(*) FILTER (WHERE p.id IS NOT NULL
                                           AND (p.amount, p.back_pay) IS NOT DISTINCT FROM (s.amount, s.back_pay))
                   FROM stage s {CASE_OF_ROW}
                   LEFT JOIN assistance_payment p ON p.case_id = c.id AND p.month = s.month"""

    def upsert(self, cursor, ctx):
        cursor.execute("DROP TABLE IF EXISTS stage_payments")
        cursor.execute(
            f"""CREATE TEMP TABLE stage_payments ON COMMIT DROP AS
                SELECT s.month, s.amount, s.back_pay, c.id AS case_id, c.division_id, c.programme_id,
                       left(c.division_id, 6) AS district_id
                FROM stage s {CASE_OF_ROW} WHERE c.id IS NOT NULL"""
        )
        cursor.execute("ANALYZE stage_payments")
        cursor.execute(
            """INSERT INTO assistance_paymentroster
                   (month, district_id, status, case_count, total_amount, built_at, built_by_id)
               SELECT DISTINCT month, district_id, 'ready', 0, 0, NULL::timestamptz, %s::bigint FROM stage_payments
               ORDER BY month, district_id
               ON CONFLICT (month, district_id) DO NOTHING""",
            [ctx.user_id],
        )
        cursor.execute(
            """INSERT INTO assistance_payment (roster_id, case_id, month, division_id, programme_id, amount, back_pay)
               SELECT r.id, sp.case_id, sp.month, sp.division_id, sp.programme_id, sp.amount, sp.back_pay
               FROM stage_payments sp
               JOIN assistance_paymentroster r ON r.month = sp.month AND r.district_id = sp.district_id
               ON CONFLICT (case_id, month) DO UPDATE
                  SET amount = EXCLUDED.amount, back_pay = EXCLUDED.back_pay, roster_id = EXCLUDED.roster_id
                WHERE (assistance_payment.amount, assistance_payment.back_pay)
                      IS DISTINCT FROM (EXCLUDED.amount, EXCLUDED.back_pay)"""
        )
        cursor.execute(
            """UPDATE assistance_paymentroster r
                  SET case_count = t.n, total_amount = t.total
                 FROM (SELECT p.roster_id, count(*) AS n, sum(p.amount + p.back_pay) AS total
                         FROM assistance_payment p
                        WHERE p.roster_id IN (SELECT r2.id FROM assistance_paymentroster r2
                                               JOIN (SELECT DISTINCT month, district_id FROM stage_payments) k
                                                 ON k.month = r2.month AND k.district_id = r2.district_id)
                        GROUP BY p.roster_id) t
                WHERE r.id = t.roster_id
                  AND (r.case_count, r.total_amount) IS DISTINCT FROM (t.n, t.total)"""
        )
