"""Set-based recomputation of case amounts: the SQL twin of `assistance.amounts.monthly_amount`.

The same `computed` query serves the preview (with the planned standards passed in as JSON, nothing written) and
the apply (after the new Standard rows are inserted), so what the city admin previews is what gets applied.

Rules mirrored from amounts.py (tests compare the two on a mixed data set):
- the standard (and the band scale) in force on a date for a district: `amounts.in_force_sql`, the SQL twin of
  `amounts.in_force` (the district's own latest row with effective_from <= date, else the city-wide one);
- top_up: ROUND(GREATEST(0, standard − income per person) × household size, 2);
- banded: the scale (StandardBand rows of one division and date) chosen like a standard; the lowest band whose
  income_below exceeds the income per person; ROUND(band × size, 2), 0 above every band;
- otherwise: ROUND(basic × size, 2) + ROUND(care amount for the case's care level × size, 2) (0 without one);
- PostgreSQL's ROUND(numeric) rounds half away from zero, which is ROUND_HALF_UP for these non-negative amounts.

A case whose income is unknown (NULL: an imported legacy case, issue 12) is never computed as if it were 0. For the
income-tested programmes (top_up, banded) the raise's `unknown_income_rule` decides: "delta" adds the change of the
standard (banded: of the band whose old amount × size is nearest the paid amount) × household size to the amount
paid; "keep" leaves the amount as it is. Per-person programmes do not read the income and are recomputed as usual.
`computed.rule` says which rule gave each row ("recompute", "delta", "keep").
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from assistance.amounts import in_force_sql
from assistance.models import CalculationMethod, CaseStatus

# Which cases a raise recomputes. Stopped cases are left alone; cases in their phase-out period (渐退期) keep the
# amount fixed when the phase-out was decided until it ends, so they are not raised either (the preview counts
# them). Cases under review keep being paid at their current amount until the review decides, so they are raised
# like active cases; the review then starts from the new standard.
RECOMPUTED_STATUSES = (CaseStatus.ACTIVE.value, CaseStatus.UNDER_REVIEW.value)


@dataclass(frozen=True)
class ExtraStandard:
    """A standard (or, with income_below, a band) not yet in the table: the preview's planned rows."""

    programme_id: int
    division_id: str | None
    care_level: str
    amount: Decimal
    effective_from: dt.date
    income_below: Decimal | None = None


def _extra_json(extra: Sequence[ExtraStandard], *, bands: bool) -> str:
    return json.dumps(
        [
            {
                "programme_id": e.programme_id,
                "division_id": e.division_id or "",
                "care_level": e.care_level,
                "amount": str(e.amount),
                "effective_from": e.effective_from.isoformat(),
                "income_below": str(e.income_below) if e.income_below is not None else "",
            }
            for e in extra
            if (e.income_below is not None) == bands
        ]
    )


_SCALE_COLUMNS = "s.division_id, s.effective_from"
_SCALE_NEW = in_force_sql(
    source="bands", programme="%(programme)s", district="d.code", on="%(on)s", care_level=None, columns=_SCALE_COLUMNS
)
_SCALE_OLD = in_force_sql(
    source="assistance_standardband", programme="%(programme)s", district="d.code", on="%(on)s::date - 1",
    care_level=None, columns=_SCALE_COLUMNS,
)  # fmt: skip

BANDED_CTE = f"""
    bands AS (
        SELECT b.programme_id, b.division_id, b.effective_from, b.income_below, b.amount
          FROM assistance_standardband b
         WHERE b.programme_id = %(programme)s AND b.effective_from <= %(on)s
        UNION ALL
        SELECT (x->>'programme_id')::bigint, NULLIF(x->>'division_id', ''), (x->>'effective_from')::date,
               (x->>'income_below')::numeric, (x->>'amount')::numeric
          FROM jsonb_array_elements(%(extra_bands)s::jsonb) AS x
         WHERE (x->>'programme_id')::bigint = %(programme)s AND (x->>'effective_from')::date <= %(on)s
    ),
    scale AS (
        -- per district: the scale in force (the one rule of assistance.amounts.in_force_sql)
        SELECT d.code AS district, r.division_id, r.effective_from
          FROM people_division d
         CROSS JOIN LATERAL {_SCALE_NEW} r
         WHERE d.level = 2
    ),
    scale_old AS (
        -- the scale in force the day before the raise's date (for the delta of cases whose income is unknown)
        SELECT d.code AS district, r.division_id, r.effective_from
          FROM people_division d
         CROSS JOIN LATERAL {_SCALE_OLD} r
         WHERE d.level = 2
    ),
    computed AS (
        -- the lowest band whose threshold is above the income per person, × household size; 0 above every band.
        -- Income unknown (NULL): the band is unknown too; by the raise's rule, either the paid amount plus the
        -- change of the band whose old amount × size is nearest to it, or the paid amount unchanged.
        SELECT c.id, c.ctid AS row_ctid, c.division_id, c.programme_id, c.household_id, c.first_payment_month,
               c.last_payment_month, c.monthly_amount AS old_amount,
               CASE WHEN c.monthly_income_per_capita IS NOT NULL THEN
                    COALESCE((SELECT ROUND(b.amount * c.household_size, 2)
                                FROM bands b
                               WHERE b.division_id IS NOT DISTINCT FROM s.division_id
                                 AND b.effective_from = s.effective_from
                                 AND b.income_below > c.monthly_income_per_capita
                               ORDER BY b.income_below LIMIT 1), 0)
                    WHEN %(unknown_rule)s::text = 'delta' THEN
                    c.monthly_amount + COALESCE((
                        SELECT ROUND(GREATEST(0, b.amount - o.amount) * c.household_size, 2)
                          FROM scale_old so
                          JOIN assistance_standardband o ON o.programme_id = %(programme)s
                               AND o.division_id IS NOT DISTINCT FROM so.division_id
                               AND o.effective_from = so.effective_from
                          JOIN bands b ON b.division_id IS NOT DISTINCT FROM s.division_id
                               AND b.effective_from = s.effective_from AND b.income_below = o.income_below
                         WHERE so.district = LEFT(c.division_id, 6)
                         ORDER BY ABS(o.amount * c.household_size - c.monthly_amount), o.income_below
                         LIMIT 1), 0)
                    ELSE c.monthly_amount END AS new_amount,
               CASE WHEN c.monthly_income_per_capita IS NOT NULL THEN 'recompute'
                    ELSE %(unknown_rule)s::text END AS rule,
               NULL::numeric AS standard, NULL::numeric AS old_standard,
               c.monthly_income_per_capita AS income, c.household_size AS size
          FROM assistance_case c
          JOIN scale s ON s.district = LEFT(c.division_id, 6)
         WHERE c.programme_id = %(programme)s AND c.status = ANY(%(statuses)s::text[])
           AND (%(all_districts)s OR LEFT(c.division_id, 6) = ANY(%(districts)s::text[]))
    )"""


_RESOLVED_NEW = in_force_sql(
    source="std", programme="%(programme)s", district="d.code", on="%(on)s", care_level="cl.care_level"
)
_RESOLVED_OLD = in_force_sql(
    source="assistance_standard", programme="%(programme)s", district="d.code", on="%(on)s::date - 1"
)


def computed_cte(*, calculation: str) -> str:
    """CTEs `std`, `resolved`, `computed` for one programme. Parameters: programme, on, extra (JSON), statuses,
    all_districts (bool), districts (list of 6-digit codes), extra_bands (JSON). `computed.row_ctid` lets the apply's
    UPDATE find each row again without an index probe (same statement, same snapshot, cases locked)."""
    if calculation == CalculationMethod.BANDED:
        return BANDED_CTE
    old_join = ""
    if calculation == CalculationMethod.TOP_UP:
        # Income unknown (NULL, never read as 0): by the raise's rule, the paid amount plus the standard's change ×
        # size, or the paid amount unchanged.
        new_amount = """CASE WHEN c.monthly_income_per_capita IS NOT NULL
                    THEN ROUND(GREATEST(0, b.amount - c.monthly_income_per_capita) * c.household_size, 2)
                    WHEN %(unknown_rule)s::text = 'delta'
                    THEN c.monthly_amount + ROUND(GREATEST(0, b.amount - COALESCE(o.amount, b.amount))
                                                  * c.household_size, 2)
                    ELSE c.monthly_amount END"""
        rule = "CASE WHEN c.monthly_income_per_capita IS NOT NULL THEN 'recompute' ELSE %(unknown_rule)s::text END"
        old_join = """
          LEFT JOIN resolved_old o ON o.district = LEFT(c.division_id, 6)"""
        care_join = ""  # no care amounts: not joined (it was a 10-row scan per case)
        old_standard = "o.amount"
    else:
        # amount per person: the income plays no part, so a case whose income is unknown is recomputed like any other
        new_amount = "ROUND(b.amount * c.household_size, 2) + COALESCE(ROUND(cr.amount * c.household_size, 2), 0)"
        rule = "'recompute'"
        care_join = """
          LEFT JOIN resolved cr ON cr.district = LEFT(c.division_id, 6) AND cr.care_level = c.care_level
                               AND c.care_level <> ''"""
        old_standard = "NULL::numeric"
    return f"""
    std AS (
        SELECT s.programme_id, s.division_id, s.care_level, s.amount, s.effective_from
          FROM assistance_standard s
         WHERE s.programme_id = %(programme)s AND s.effective_from <= %(on)s
        UNION ALL
        SELECT (x->>'programme_id')::bigint, NULLIF(x->>'division_id', ''), x->>'care_level',
               (x->>'amount')::numeric, (x->>'effective_from')::date
          FROM jsonb_array_elements(%(extra)s::jsonb) AS x
         WHERE (x->>'programme_id')::bigint = %(programme)s AND (x->>'effective_from')::date <= %(on)s
    ),
    resolved AS (
        -- per district and care level: the standard in force (the one rule of assistance.amounts.in_force_sql)
        SELECT d.code AS district, cl.care_level, r.amount
          FROM people_division d
         CROSS JOIN (SELECT DISTINCT care_level FROM std) cl
         CROSS JOIN LATERAL {_RESOLVED_NEW} r
         WHERE d.level = 2
    ),
    resolved_old AS (
        -- the basic standard in force the day before the raise's date, per district (the delta for an unknown
        -- income)
        SELECT d.code AS district, r.amount
          FROM people_division d
         CROSS JOIN LATERAL {_RESOLVED_OLD} r
         WHERE d.level = 2
    ),
    computed AS (
        SELECT c.id, c.ctid AS row_ctid, c.division_id, c.programme_id, c.household_id, c.first_payment_month,
               c.last_payment_month, c.monthly_amount AS old_amount, {new_amount} AS new_amount, {rule} AS rule,
               b.amount AS standard, {old_standard} AS old_standard, c.monthly_income_per_capita AS income,
               c.household_size AS size
          FROM assistance_case c
          JOIN resolved b ON b.district = LEFT(c.division_id, 6) AND b.care_level = ''{care_join}{old_join}
         WHERE c.programme_id = %(programme)s AND c.status = ANY(%(statuses)s::text[])
           AND (%(all_districts)s OR LEFT(c.division_id, 6) = ANY(%(districts)s::text[]))
    )"""


def computed_all_cte(programmes: Sequence[tuple[int, str]]) -> tuple[str, dict]:
    """`computed` for several programmes in one statement: each programme's CTEs (`computed_cte`) under names and a
    programme parameter of its own, then their union. Returns the CTE text and those parameters; the others are
    the shared ones of `params`."""
    parts, selects, args = [], [], {}
    for index, (programme_id, calculation) in enumerate(programmes):
        text = re.sub(
            r"\b(std|resolved_old|resolved|computed|bands|scale_old|scale)\b",
            rf"\1_{index}",
            computed_cte(calculation=calculation),
        )
        parts.append(text.replace("%(programme)s", f"%(programme_{index})s"))
        selects.append(f"SELECT * FROM computed_{index}")
        args[f"programme_{index}"] = programme_id
    return ",".join(parts) + ",\n    computed AS (" + "\n UNION ALL ".join(selects) + ")", args


def params(
    *,
    programme_id: int,
    on: dt.date,
    districts: Sequence[str] | None,
    extra: Sequence[ExtraStandard] = (),
    statuses: Sequence[str] = RECOMPUTED_STATUSES,
    unknown_income_rule: str = "delta",
) -> dict:
    if unknown_income_rule not in ("delta", "keep"):
        raise ValueError(f"unknown income rule {unknown_income_rule!r}")
    return {
        "unknown_rule": unknown_income_rule,
        "programme": programme_id,
        "on": on,
        "extra": _extra_json(extra, bands=False),
        "extra_bands": _extra_json(extra, bands=True),
        "statuses": list(statuses),
        "all_districts": not districts,
        "districts": list(districts or []),
    }


# ------------------------------------------------------------------------------------------ triggers off
#
# Case, CaseAmountChange and RaiseBackPay have statement-level audit triggers (`audited(statement_level=True)`):
# the apply statement's events are written from its transition tables and its foreign keys are checked, with no
# audit code here. Measured on 67,000 cases that path takes 2.1-2.5 s (BENCHMARKS.md, "audit mechanism unified"):
# 56x the ORM loop with cached standards on a fresh data set, 38-45x once the history has grown, under issue 7's
# 50x; with the triggers off 1.5-1.9 s, 49-73x. So the statement runs with every trigger off
# (`SET LOCAL session_replication_role = replica`, for that one statement) when the database role may set it (a
# superuser, or `GRANT SET ON PARAMETER session_replication_role TO <role>` on PostgreSQL 15+); otherwise the
# triggers do the work. The portal's runtime role may not (dalian_minzheng/core/db_roles.py: a role that may switch
# triggers off can also rewrite the audit trail), so in production the statement-level triggers write the events:
# the 2.1-2.5 s path above; only the test suite's superuser takes the replica path. On that path, what the
# triggers would have done, the statement does or guarantees itself:
# - audit: it writes the events of the updated cases, the amount changes and the back-pay rows
#   (dalian_minzheng/audit/bulk.py; tests/raises compare them with what the triggers write);
# - foreign keys: amount change and back pay → case: the case rows this statement just updated, the table locked
#   EXCLUSIVE until commit (no delete can come between); back pay → raise: the raise row locked FOR UPDATE;
#   back pay → division: the case's own division, which the case's foreign key (checked for every other writer)
#   keeps in place; created_by and roster are NULL; the update changes no key, so its checks are no-ops anyway.
# tests/raises/test_services.py lists the triggers of the tables it writes: a new one fails that test until it is
# accounted for here.
ROW_TRIGGERS_OFF = True
