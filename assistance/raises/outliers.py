"""The raise preview's money guard (issue 12): each case's change next to what the raise itself implies for it,
and the outliers a second city admin must acknowledge before the raise can be approved.

What a raise implies for a case is the change of the standards it moves, in force in the case's district, times the
household size: the basic standard's change (for a banded programme: the largest change of a band), plus the change
of the case's care amount. A recomputation can legitimately give less (an income between the old and the new
standard), never more — unless the amount paid did not match the standard before (a hand-corrected or imported
amount, an income stored wrongly), which is what the guard is for. The thresholds are a kernel rule table
(`OutlierRule`, edited on /rules/): a case whose change exceeds `case_factor` × its implied change, a district
total outside the band around what the raise implies.

Outlier groups are per programme and district: "cases:<programme>:<district>" (the outlier cases) and
"district:<programme>:<district>" (the total out of band). Each has a fingerprint of its content, so an
acknowledgement holds only for what was acknowledged.

Read-only SQL over `recompute.computed_cte`: nothing here touches the apply statement.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from assistance.models import Programme
from assistance.raises import recompute
from assistance.raises.models import OutlierRule, Raise
from dalian_minzheng.people.idnumbers import mask
from dalian_minzheng.people.models import Division, DivisionLevel


@dataclass(frozen=True)
class Thresholds:
    case_factor: Decimal = Decimal("2")
    district_above_percent: Decimal = Decimal("10")
    district_below_percent: Decimal | None = None


def thresholds_for(on: dt.date) -> Thresholds:
    rule = OutlierRule.current(on=on)
    if rule is None:
        return Thresholds()
    return Thresholds(rule.case_factor, rule.district_above_percent, rule.district_below_percent)


@dataclass
class Cell:
    """One programme in one district: the change the recomputation gives and the change the raise implies."""

    programme_id: int
    programme_name: str
    district: str
    district_name: str
    cases: int = 0
    before: Decimal = Decimal("0")
    change: Decimal = Decimal("0")
    implied: Decimal = Decimal("0")
    outlier_count: int = 0
    outlier_change: Decimal = Decimal("0")
    outlier_implied: Decimal = Decimal("0")
    outlier_digest: str = ""
    out_of_band: bool = False

    @property
    def percent(self) -> Decimal | None:
        """The change of the monthly total in percent."""
        if not self.before:
            return None
        return (self.change * 100 / self.before).quantize(Decimal("0.01"))


@dataclass
class Group:
    key: str
    kind: str  # "cases" or "district"
    cell: Cell
    fingerprint: str
    cases: list[dict] = field(default_factory=list)
    ack: object | None = None  # the RaiseOutlierAck that holds for this content, if any

    @property
    def acknowledged(self) -> bool:
        return self.ack is not None


@dataclass
class Check:
    thresholds: Thresholds
    cells: list[Cell]
    groups: list[Group]

    @property
    def pending(self) -> list[Group]:
        return [g for g in self.groups if not g.acknowledged]

    def cell(self, programme_id: int, district: str) -> Cell | None:
        for c in self.cells:
            if c.programme_id == programme_id and c.district == district:
                return c
        return None


def implied_deltas(standards: Iterable, programme: Programme, districts: list[str]) -> list[dict]:
    """Per district and care level: the change of the standard in force there (the district's own planned row, else
    the city-wide one). `standards` are planning.PlannedStandard or RaiseStandard rows."""
    own: dict[tuple, Decimal] = {}
    for s in standards:
        programme_id = s.programme.pk if hasattr(s, "programme") else s.programme_id
        if programme_id != programme.pk:
            continue
        delta = Decimal(s.new_amount) - Decimal(s.old_amount if s.old_amount is not None else 0)
        key = (s.division_id, "" if s.income_below is not None else s.care_level)
        # a banded programme: the largest change of any band
        own[key] = max(own.get(key, delta), delta) if s.income_below is not None else delta
    rows = []
    for district in districts:
        for care_level in sorted({k[1] for k in own}):
            delta = own.get((district, care_level), own.get((None, care_level)))
            if delta is not None:
                rows.append({"district": district, "care_level": care_level, "delta": str(delta)})
    return rows


CHECK_SQL = """
WITH {computed},
deltas AS (
    SELECT x->>'district' AS district, x->>'care_level' AS care_level, (x->>'delta')::numeric AS delta
      FROM jsonb_array_elements(%(deltas)s::jsonb) AS x
),
per_case AS (
    SELECT x.id, x.household_id, LEFT(x.division_id, 6) AS district, x.old_amount, x.new_amount,
           x.new_amount - x.old_amount AS change,
           (COALESCE(db.delta, 0) + COALESCE(dc.delta, 0)) * x.size AS implied
      FROM computed x
      JOIN assistance_case c ON c.id = x.id
      LEFT JOIN deltas db ON db.district = LEFT(x.division_id, 6) AND db.care_level = ''
      LEFT JOIN deltas dc ON dc.district = LEFT(x.division_id, 6) AND dc.care_level = c.care_level
                         AND c.care_level <> ''
     WHERE x.division_id LIKE %(prefix)s
),
flagged AS (
    SELECT p.*, ABS(p.change) > %(factor)s * GREATEST(p.implied, 0) AS outlier,
           ROW_NUMBER() OVER (PARTITION BY p.district, ABS(p.change) > %(factor)s * GREATEST(p.implied, 0)
                              ORDER BY ABS(p.change) DESC, p.id) AS rank
      FROM per_case p
)
SELECT 'cell', district, COUNT(*), COALESCE(SUM(old_amount), 0), COALESCE(SUM(change), 0),
       COALESCE(SUM(implied), 0), COUNT(*) FILTER (WHERE outlier),
       COALESCE(SUM(change) FILTER (WHERE outlier), 0), COALESCE(SUM(implied) FILTER (WHERE outlier), 0),
       md5(COALESCE(string_agg(id::text || ':' || old_amount::text || ':' || new_amount::text, ',' ORDER BY id)
                    FILTER (WHERE outlier), '')),
       NULL::bigint, NULL::text, NULL::text
  FROM flagged GROUP BY district
UNION ALL
SELECT 'case', f.district, f.id, f.old_amount, f.change, f.implied, NULL, f.new_amount, NULL, NULL,
       f.household_id, pe.name, pe.id_number
  FROM flagged f
  JOIN people_household h ON h.id = f.household_id
  JOIN people_person pe ON pe.id = h.head_id
 WHERE f.outlier AND f.rank <= %(limit)s
"""


def _fingerprint(raise_record: Raise, key: str, *parts) -> str:
    r = raise_record
    value = str(Decimal(r.value).quantize(Decimal("0.01")))  # the same for a fresh object and one read back
    figures = [r.method, value, r.rounding, r.effective_from.isoformat(), r.unknown_income_rule, key]
    figures += [str(p) for p in parts]
    return hashlib.sha256(json.dumps(figures).encode()).hexdigest()


def check(raise_record: Raise, standards: list, *, prefix: str = "", limit: int = 50) -> Check:
    """The comparison and the outlier groups of a raise whose planned standards are `standards` (a draft's plan or
    an approved raise's frozen rows), for the cases under `prefix` (a user's scope; "" for the whole city)."""
    from assistance.raises.models import RaiseOutlierAck

    on = raise_record.effective_from
    thresholds = thresholds_for(on)
    names = dict(Division.objects.filter(level=DivisionLevel.DISTRICT).values_list("code", "name"))
    districts = sorted(raise_record.districts.values_list("code", flat=True))
    programme_ids = sorted({s.programme.pk if hasattr(s, "programme") else s.programme_id for s in standards})
    programmes = {p.pk: p for p in Programme.objects.filter(pk__in=programme_ids)}
    extra = [
        recompute.ExtraStandard(s.programme.pk, s.division_id, s.care_level, s.new_amount, on, s.income_below)
        for s in standards
    ]
    cells: list[Cell] = []
    listed: dict[tuple[int, str], list[dict]] = {}
    with connection.cursor() as cursor:
        for pk, programme in sorted(programmes.items()):
            args = recompute.params(
                programme_id=pk,
                on=on,
                districts=districts,
                extra=extra,
                unknown_income_rule=raise_record.unknown_income_rule,
            )
            args.update(
                prefix=f"{prefix}%",
                factor=thresholds.case_factor,
                limit=limit,
                deltas=json.dumps(implied_deltas(standards, programme, sorted(names))),
            )
            cursor.execute(CHECK_SQL.format(computed=recompute.computed_cte(calculation=programme.calculation)), args)
            for row in cursor.fetchall():
                kind, district = row[0], row[1]
                if kind == "cell":
                    _, _, cases, before, change, implied, n, o_change, o_implied, digest, *_rest = row
                    cells.append(
                        Cell(pk, programme.name, district, names.get(district, district), cases, before, change,
                             implied, n, o_change, o_implied, digest if n else "")
                    )  # fmt: skip
                else:
                    _, _, case_id, old, change, implied, _n, new, _o, _d, _household, name, id_number = row
                    listed.setdefault((pk, district), []).append(
                        {"case_id": case_id, "name": name, "id_number": mask(id_number), "old": old, "new": new,
                         "difference": change, "implied": implied}
                    )  # fmt: skip
    cells.sort(key=lambda c: (c.district, c.programme_id))
    acks = {a.group: a for a in RaiseOutlierAck.objects.filter(raise_record=raise_record).select_related(
        "acknowledged_by")}  # fmt: skip
    groups: list[Group] = []
    above = 1 + thresholds.district_above_percent / 100
    below = None if thresholds.district_below_percent is None else 1 - thresholds.district_below_percent / 100
    for cell in cells:
        if cell.outlier_count:
            key = f"cases:{cell.programme_id}:{cell.district}"
            fingerprint = _fingerprint(raise_record, key, cell.outlier_count, cell.outlier_change, cell.outlier_digest)
            groups.append(Group(key, "cases", cell, fingerprint, listed.get((cell.programme_id, cell.district), [])))
        high = cell.change > cell.implied * above if cell.implied > 0 else cell.change > 0
        low = below is not None and cell.change < cell.implied * below
        if high or low:
            cell.out_of_band = True
            key = f"district:{cell.programme_id}:{cell.district}"
            groups.append(Group(key, "district", cell, _fingerprint(raise_record, key, cell.change, cell.implied)))
    for group in groups:
        ack = acks.get(group.key)
        if ack is not None and ack.fingerprint == group.fingerprint:
            group.ack = ack
    return Check(thresholds, cells, groups)
