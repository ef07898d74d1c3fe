"""Reads for standard raises: the list, one raise, its preview, its report per district, the standards history.

Raises are city-wide decisions that every admin and auditor may read; what a district admin sees of the cases
(preview rows, report per district) is limited to their district by `scope_prefix`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.http import Http404

from assistance.models import CaseStatus, Programme, Standard
from assistance.raises import outliers, planning, recompute
from assistance.raises.models import Raise, RaiseBackPay, RaiseStatus
from dalian_minzheng.accounts.scope import scope_prefix
from dalian_minzheng.people.idnumbers import mask
from dalian_minzheng.people.models import Division, DivisionLevel


def raise_list(*, user):
    if scope_prefix(user) is None:
        return Raise.objects.none()
    return Raise.objects.select_related("approved_by", "created_by").prefetch_related("programmes", "districts")


def raise_get(*, user, pk: int) -> Raise:
    raise_record = raise_list(user=user).filter(pk=pk).first()
    if raise_record is None:
        raise Http404
    return raise_record


@dataclass
class Row:
    district: str
    district_name: str
    programme_id: int
    programme_name: str
    cases: int = 0
    changed: int = 0
    before: Decimal = Decimal("0")
    after: Decimal = Decimal("0")

    @property
    def difference(self) -> Decimal:
        return self.after - self.before


@dataclass
class Preview:
    rows: list[Row]
    top_cases: list[dict]
    excluded: dict[str, int]
    plan: planning.Plan
    on: dt.date
    case_amounts: dict[int, tuple[Decimal, Decimal]] = field(default_factory=dict)
    # the change next to what the raise implies, and the outliers to acknowledge (outliers.py)
    check: outliers.Check | None = None

    @property
    def cases(self) -> int:
        return sum(r.cases for r in self.rows)

    @property
    def changed(self) -> int:
        return sum(r.changed for r in self.rows)

    @property
    def before(self) -> Decimal:
        return sum((r.before for r in self.rows), Decimal("0"))

    @property
    def after(self) -> Decimal:
        return sum((r.after for r in self.rows), Decimal("0"))

    def by_district(self) -> list[Row]:
        merged: dict[str, Row] = {}
        for r in self.rows:
            m = merged.setdefault(r.district, Row(r.district, r.district_name, 0, ""))
            m.cases += r.cases
            m.changed += r.changed
            m.before += r.before
            m.after += r.after
        return sorted(merged.values(), key=lambda r: r.district)


PREVIEW_SQL = """
WITH {computed}
SELECT LEFT(x.division_id, 6) AS district, COUNT(*) AS cases,
       COUNT(*) FILTER (WHERE x.new_amount <> x.old_amount) AS changed,
       COALESCE(SUM(x.old_amount), 0), COALESCE(SUM(x.new_amount), 0)
  FROM computed x
 WHERE LEFT(x.division_id, 6) LIKE %(prefix)s
 GROUP BY 1 ORDER BY 1
"""

TOP_SQL = """
WITH {computed}
SELECT x.id, x.division_id, x.old_amount, x.new_amount, p.name, p.id_number
  FROM computed x
  JOIN people_household h ON h.id = x.household_id
  JOIN people_person p ON p.id = h.head_id
 WHERE x.division_id LIKE %(prefix)s AND x.new_amount <> x.old_amount
 ORDER BY x.new_amount - x.old_amount DESC, x.id
 LIMIT %(limit)s
"""

AMOUNTS_SQL = """
WITH {computed}
SELECT x.id, x.old_amount, x.new_amount FROM computed x WHERE x.division_id LIKE %(prefix)s
"""


def _districts() -> dict[str, str]:
    return dict(Division.objects.filter(level=DivisionLevel.DISTRICT).values_list("code", "name"))


def raise_preview(
    *, user, raise_record: Raise, top: int = 20, with_case_amounts: bool = False, with_check: bool = False
) -> Preview:
    """What applying the raise would do, computed by the same SQL as the apply, with the planned standards passed
    in rather than inserted. For an applied raise, use `raise_report` (the recorded changes)."""
    prefix = scope_prefix(user)
    if prefix is None:
        raise Http404
    if raise_record.status == RaiseStatus.DRAFT:
        plan = planning.plan(raise_record)
    else:
        plan = planning.Plan(
            standards=[
                planning.PlannedStandard(
                    s.programme,
                    s.division_id,
                    s.care_level,
                    s.old_amount,
                    s.new_amount,
                    s.base_programme_id,
                    s.multiplier,
                    s.linked,
                    s.income_below,
                )
                for s in raise_record.planned_standards.select_related("programme")
            ],
            problems=[],
        )
    on = raise_record.effective_from
    extra = [
        recompute.ExtraStandard(p.programme.pk, p.division_id, p.care_level, p.new_amount, on, p.income_below)
        for p in plan.standards
    ]
    districts = sorted(raise_record.districts.values_list("code", flat=True))
    names = _districts()
    programmes = {p.pk: p for p in Programme.objects.filter(pk__in=plan.programme_ids)}
    rows: list[Row] = []
    top_cases: list[dict] = []
    amounts: dict[int, tuple[Decimal, Decimal]] = {}
    like = f"{prefix}%"
    with connection.cursor() as cursor:
        for pk, programme in sorted(programmes.items()):
            args = recompute.params(
                programme_id=pk,
                on=on,
                districts=districts,
                extra=extra,
                unknown_income_rule=raise_record.unknown_income_rule,
            )
            args.update(prefix=like, limit=top)
            cte = recompute.computed_cte(calculation=programme.calculation)
            cursor.execute(PREVIEW_SQL.format(computed=cte), args)
            for district, cases, changed, before, after in cursor.fetchall():
                rows.append(
                    Row(district, names.get(district, district), pk, programme.name, cases, changed, before, after)
                )
            cursor.execute(TOP_SQL.format(computed=cte), args)
            for case_id, division_id, old, new, name, id_number in cursor.fetchall():
                top_cases.append(
                    {
                        "case_id": case_id,
                        "district": names.get(division_id[:6], division_id[:6]),
                        "programme": programme.name,
                        "name": name,
                        "id_number": mask(id_number),
                        "old": old,
                        "new": new,
                        "difference": new - old,
                    }
                )
            if with_case_amounts:
                cursor.execute(AMOUNTS_SQL.format(computed=cte), args)
                amounts.update({cid: (old, new) for cid, old, new in cursor.fetchall()})
    top_cases.sort(key=lambda c: (-c["difference"], c["case_id"]))
    excluded = _excluded(plan.programme_ids, districts, like)
    check = outliers.check(raise_record, plan.standards, prefix=prefix) if with_check else None
    return Preview(rows, top_cases[:top], excluded, plan, on, amounts, check)


def _excluded(programme_ids: list[int], districts: list[str], like: str) -> dict[str, int]:
    """Cases of the covered programmes and areas that the raise leaves alone, by status."""
    from assistance.models import Case

    qs = Case.objects.filter(programme_id__in=programme_ids, division__code__startswith=like.rstrip("%")).exclude(
        status__in=recompute.RECOMPUTED_STATUSES
    )
    if districts:
        qs = qs.filter(division__code__regex=r"^(" + "|".join(districts) + ")")
    counts = {status: 0 for status in (CaseStatus.PHASE_OUT, CaseStatus.STOPPED)}
    for status in qs.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return {CaseStatus(k).label: v for k, v in counts.items()}


REPORT_SQL = """
SELECT LEFT(c.division_id, 6) AS district, c.programme_id, COUNT(*),
       COALESCE(SUM(ch.old_amount), 0), COALESCE(SUM(ch.new_amount), 0)
  FROM assistance_caseamountchange ch
  JOIN assistance_case c ON c.id = ch.case_id
 WHERE ch.source_ref = %(ref)s AND c.division_id LIKE %(prefix)s
 GROUP BY 1, 2 ORDER BY 1, 2
"""


@dataclass
class Report:
    raise_record: Raise
    rows: list[Row]
    applied: bool
    back_pay: dict[str, tuple[int, Decimal]]

    def by_district(self) -> list[Row]:
        return Preview(self.rows, [], {}, planning.Plan([], []), self.raise_record.effective_from).by_district()

    @property
    def changed(self) -> int:
        return sum(r.changed for r in self.rows)

    @property
    def before(self) -> Decimal:
        return sum((r.before for r in self.rows), Decimal("0"))

    @property
    def after(self) -> Decimal:
        return sum((r.after for r in self.rows), Decimal("0"))


def raise_report(*, user, raise_record: Raise) -> Report:
    """Per district and programme: cases changed and their monthly totals before and after. For an applied raise
    from the recorded changes (CaseAmountChange); before that, from the preview. Scoped to the user's district."""
    prefix = scope_prefix(user)
    if prefix is None:
        raise Http404
    if raise_record.status != RaiseStatus.APPLIED:
        preview = raise_preview(user=user, raise_record=raise_record, top=0)
        return Report(raise_record, preview.rows, False, {})
    names = _districts()
    programmes = dict(Programme.objects.values_list("pk", "name"))
    rows = []
    with connection.cursor() as cursor:
        cursor.execute(REPORT_SQL, {"ref": raise_record.source_ref, "prefix": f"{prefix}%"})
        for district, programme_id, count, before, after in cursor.fetchall():
            rows.append(
                Row(
                    district,
                    names.get(district, district),
                    programme_id,
                    programmes.get(programme_id, ""),
                    count,
                    count,
                    before,
                    after,
                )
            )
    back_pay: dict[str, list] = defaultdict(lambda: [0, Decimal("0")])
    for division_id, amount in RaiseBackPay.objects.filter(
        raise_record=raise_record, division__code__startswith=prefix
    ).values_list("division_id", "amount"):
        entry = back_pay[division_id[:6]]
        entry[0] += 1
        entry[1] += amount
    return Report(raise_record, rows, True, {k: (v[0], v[1]) for k, v in back_pay.items()})


def standards_history() -> dict:
    """City-wide basic standards and care amounts by programme over the years, for the history chart."""
    series: dict[str, list] = defaultdict(list)
    qs = (
        Standard.objects.filter(division__isnull=True)
        .select_related("programme")
        .order_by("programme_id", "care_level", "effective_from")
    )
    for s in qs:
        label = s.programme.name if not s.care_level else f"{s.programme.name} · {s.get_care_level_display()}"
        series[label].append([s.effective_from.isoformat(), float(s.amount)])
    return {"series": [{"name": name, "data": points} for name, points in series.items()]}


def planned_for_display(raise_record: Raise) -> list[dict]:
    """The standards a raise changes (frozen plan once approved, else the current plan), with names for pages."""
    names = _districts()
    if raise_record.status == RaiseStatus.DRAFT:
        items = [
            (p.programme, p.division_id, p.care_level, p.old_amount, p.new_amount, p.base_programme_id, p.multiplier,
             p.linked, p.income_below)
            for p in planning.plan(raise_record).standards
        ]  # fmt: skip
    else:
        items = [
            (p.programme, p.division_id, p.care_level, p.old_amount, p.new_amount, p.base_programme_id, p.multiplier,
             p.linked, p.income_below)
            for p in raise_record.planned_standards.select_related("programme")
        ]  # fmt: skip
    base_names = dict(Programme.objects.values_list("pk", "name"))
    from assistance.models import CareLevel

    return [
        {
            "programme": programme.name,
            "area": names.get(division_id, division_id) if division_id else None,
            "care_level": CareLevel(care).label if care else "",
            "old": old,
            "new": new,
            "base": base_names.get(base_id, ""),
            "multiplier": multiplier,
            "linked": linked,
            "income_below": income_below,
        }
        for programme, division_id, care, old, new, base_id, multiplier, linked, income_below in items
    ]
