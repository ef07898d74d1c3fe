"""How a monthly benefit is computed. The Python here is the reference; set-based SQL (rosters, raises) must give
the same numbers, and tests compare the two.

- top_up (低保): (standard − per-capita monthly income) × household size, never below zero.
- fixed_per_person (特困 basic + care amount by care level, the two disability subsidies): amount × persons.
- banded: the amount per person of the lowest band whose `income_below` exceeds the per-capita income, from the
  bands (StandardBand) in force for the district (else city-wide) on the date; × household size.
Amounts are rounded to the fen (0.01 yuan), half up.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet

from assistance.models import CalculationMethod, Programme, Standard, StandardBand

FEN = Decimal("0.01")


def round_fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


# ----------------------------------------------------------------------------- the standard in force
# ONE rule, said once in Python (`in_force`) and once in SQL (`in_force_sql`); tests/assistance/
# test_standard_in_force.py checks on a grid that the two agree. The row in force for a district on a date is the
# latest one (effective_from <= date) of the district's own rows if it has any, else of the city-wide rows
# (division NULL). Standards and band scales both follow it; every caller (amounts, raise planning, the raise's
# set-based recompute, the cross-department check's limits) goes through one of these two.


def in_force(rows: QuerySet, *, district_code: str | None, on: dt.date) -> QuerySet:
    """`rows` (Standard or StandardBand, already narrowed to one programme and care level) in force for the district
    on `on`, best first: the district's own, latest first, then the city-wide ones. None: city-wide only."""
    return (
        rows.filter(effective_from__lte=on)
        .filter(Q(division_id=district_code) | Q(division__isnull=True))
        .order_by("division_id", "-effective_from")  # NULLs sort last in PostgreSQL ascending order
    )


def in_force_sql(
    *, source: str, programme: str, district: str, on: str, care_level: str | None = "''", columns: str = "s.amount"
) -> str:
    """The SQL twin of `in_force(...).first()`: a parenthesised one-row SELECT over `source` (a table or CTE with
    programme_id, division_id, effective_from and, unless care_level is None, care_level), aliased `s` inside.
    The other arguments are SQL expressions (a column of the outer query, a placeholder, a literal), so it serves
    as a LATERAL join per case, per application or per district."""
    care = "" if care_level is None else f" AND s.care_level = {care_level}"
    return f"""(
        SELECT {columns} FROM {source} s
         WHERE s.programme_id = {programme}{care}
           AND (s.division_id = {district} OR s.division_id IS NULL) AND s.effective_from <= ({on})
         ORDER BY s.division_id IS NULL, s.effective_from DESC
         LIMIT 1)"""


def standard_for(
    *, programme: Programme | int, district_code: str | None, on: dt.date, care_level: str = ""
) -> Standard | None:
    """The standard in force on `on`: the district's own if it has one, else the city-wide one (None: city-wide)."""
    rows = Standard.objects.filter(programme=programme, care_level=care_level)
    return in_force(rows, district_code=district_code, on=on).first()


def band_scale(*, programme: Programme | int, district_code: str | None, on: dt.date) -> list[StandardBand]:
    """The bands in force (one division's scale of one date), lowest threshold first; chosen like a standard."""
    bands = StandardBand.objects.filter(programme=programme)
    latest = in_force(bands, district_code=district_code, on=on).values("division_id", "effective_from").first()
    if latest is None:
        return []
    return list(
        bands.filter(division_id=latest["division_id"], effective_from=latest["effective_from"]).order_by(
            "income_below"
        )
    )


def top_up(*, standard: Decimal, income_per_capita: Decimal, household_size: int) -> Decimal:
    gap = max(Decimal("0"), Decimal(standard) - Decimal(income_per_capita))
    return round_fen(gap * household_size)


def fixed_per_person(*, amount: Decimal, persons: int) -> Decimal:
    return round_fen(Decimal(amount) * persons)


def monthly_amount(
    *,
    programme: Programme,
    district_code: str,
    on: dt.date,
    household_size: int,
    income_per_capita: Decimal = Decimal("0"),
    care_level: str = "",
) -> Decimal:
    """Monthly amount for a household under the standards in force on `on` (raises ValueError if none is set)."""
    if programme.calculation == CalculationMethod.BANDED:
        return banded(
            programme=programme,
            district_code=district_code,
            on=on,
            household_size=household_size,
            income_per_capita=income_per_capita,
        )
    base = standard_for(programme=programme, district_code=district_code, on=on)
    if base is None:
        raise ValueError(f"no standard for {programme.code} in {district_code} on {on}")
    if programme.calculation == CalculationMethod.TOP_UP:
        return top_up(standard=base.amount, income_per_capita=income_per_capita, household_size=household_size)
    total = fixed_per_person(amount=base.amount, persons=household_size)
    if care_level:
        care = standard_for(programme=programme, district_code=district_code, on=on, care_level=care_level)
        if care is not None:
            total += fixed_per_person(amount=care.amount, persons=household_size)
    return total


def band_for(scale: list[StandardBand], income_per_capita: Decimal) -> StandardBand | None:
    """The lowest band of the scale whose threshold is above the income per person (None: above every band)."""
    return next((b for b in scale if b.income_below > Decimal(income_per_capita)), None)


def banded(
    *, programme: Programme, district_code: str | None, on: dt.date, household_size: int, income_per_capita: Decimal
) -> Decimal:
    """Banded amount (分档): the district's own scale if it has one in force, else the city-wide one."""
    scale = band_scale(programme=programme, district_code=district_code, on=on)
    if not scale:
        raise ValueError(f"no bands for {programme.code} in {district_code} on {on}")
    band = band_for(scale, income_per_capita)
    if band is None:
        return Decimal("0.00")
    return fixed_per_person(amount=band.amount, persons=household_size)


def explain(
    *,
    programme: Programme,
    district_code: str,
    on: dt.date,
    household_size: int,
    income_per_capita: Decimal | None,
    care_level: str = "",
) -> dict:
    """The figures `monthly_amount` computes from, for CaseAmountChange.basis: the case page says what the amount
    rests on (standard, income, size, band, care level). JSON-ready (amounts as strings)."""
    basis: dict = {
        "rule": "standard",
        "calculation": programme.calculation,
        "size": household_size,
        "income": None if income_per_capita is None else str(income_per_capita),
        "on": on.isoformat(),
    }
    if programme.calculation == CalculationMethod.BANDED:
        if income_per_capita is not None:
            scale = band_scale(programme=programme, district_code=district_code, on=on)
            band = band_for(scale, income_per_capita)
            if band is not None:
                basis["band"] = {"income_below": str(band.income_below), "amount": str(band.amount)}
        return basis
    base = standard_for(programme=programme, district_code=district_code, on=on)
    if base is not None:
        basis.update(standard=str(base.amount), standard_id=base.pk, standard_from=base.effective_from.isoformat())
    if care_level and programme.calculation != CalculationMethod.TOP_UP:
        care = standard_for(programme=programme, district_code=district_code, on=on, care_level=care_level)
        basis["care_level"] = care_level
        if care is not None:
            basis["care_amount"] = str(care.amount)
    return basis
