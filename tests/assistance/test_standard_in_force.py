"""One rule for the standard in force, said in Python (`amounts.in_force` / `standard_for` / `band_scale`) and in
SQL (`amounts.in_force_sql`, which the raise recompute and the cross-department check use): they must agree on a
grid of programmes, districts, care levels and dates, with a district's own standard, city-wide ones and a raise
dated in the future."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from assistance import amounts
from assistance.models import CalculationMethod, CareLevel, Programme, Standard, StandardBand
from assistance.raises import recompute
from dalian_minzheng.people.models import Division, DivisionLevel
from tests.assistance.factories import ensure_programmes

DATES = [
    dt.date(2025, 12, 31),  # before any standard: nothing in force
    dt.date(2026, 1, 1),
    dt.date(2026, 6, 30),
    dt.date(2026, 7, 1),  # a district's own standard starts
    dt.date(2026, 12, 31),
    dt.date(2027, 1, 1),  # the future-dated city-wide raise starts
    dt.date(2027, 3, 1),
    dt.date(2028, 1, 1),  # a district's own standard older than the latest city-wide one still wins
]
CARE_LEVELS = ["", *CareLevel.values]


@pytest.fixture
def grid(divisions):
    ensure_programmes()
    programmes = {p.code: p for p in Programme.objects.all()}
    urban, rural, hardship = programmes["urban_allowance"], programmes["rural_allowance"], programmes["urban_hardship"]
    rows = [
        # a district override from mid-2026, then a future city-wide raise that does not shadow it
        (urban, "210202", "", "880", dt.date(2026, 7, 1)),
        (urban, None, "", "850", dt.date(2027, 1, 1)),
        (urban, None, "", "900", dt.date(2028, 1, 1)),
        # a district that later raises its own again, and a county whose own row starts after the city raise
        (rural, "210224", "", "650", dt.date(2026, 7, 1)),
        (rural, "210224", "", "700", dt.date(2027, 3, 1)),
        (rural, None, "", "640", dt.date(2027, 1, 1)),
        (rural, "210283", "", "660", dt.date(2027, 3, 1)),
        # care amounts: a district's own for one level only, a future city-wide raise of another
        (hardship, "210211", CareLevel.SELF_CARE, "260", dt.date(2026, 7, 1)),
        (hardship, None, CareLevel.FULL_CARE, "1300", dt.date(2027, 1, 1)),
    ]
    for programme, division, care, amount, on in rows:
        Standard.objects.create(
            programme=programme, division_id=division, care_level=care, amount=Decimal(amount), effective_from=on
        )
    pilot = programmes["illness_pilot"]
    pilot.calculation = CalculationMethod.BANDED
    pilot.save()
    for division, on, bands in (
        (None, dt.date(2026, 1, 1), (("200", "500"), ("400", "300"))),
        (None, dt.date(2027, 1, 1), (("200", "550"), ("400", "330"))),  # future city-wide scale
        ("210283", dt.date(2026, 7, 1), (("300", "450"),)),  # a district's own scale
    ):
        for below, amount in bands:
            StandardBand.objects.create(
                programme=pilot, division_id=division, effective_from=on, income_below=below, amount=amount
            )
    districts = list(
        Division.objects.filter(level=DivisionLevel.DISTRICT).order_by("code").values_list("code", flat=True)
    )
    assert len(districts) == 10
    return {
        "programmes": [urban, rural, hardship, programmes["disability_care"]],
        "pilot": pilot,
        "districts": districts,
    }


def _python_amount(programme, district, care, on):
    standard = amounts.standard_for(programme=programme, district_code=district, on=on, care_level=care)
    return standard.amount if standard is not None else None


def test_sql_and_python_pick_the_same_standard_on_the_grid(grid):
    cells = [
        (p.pk, d, care, on)
        for p in grid["programmes"]
        for d in [*grid["districts"], None]  # None: the city-wide standard alone
        for care in CARE_LEVELS
        for on in DATES
    ]
    fragment = amounts.in_force_sql(
        source="assistance_standard", programme="g.programme_id", district="g.district", on="g.day",
        care_level="g.care_level",
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT g.n, r.amount
                  FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::date[]) WITH ORDINALITY
                       AS g(programme_id, district, care_level, day, n)
                  LEFT JOIN LATERAL {fragment} r ON TRUE
                 ORDER BY g.n""",
            [[c[0] for c in cells], [c[1] for c in cells], [c[2] for c in cells], [c[3] for c in cells]],
        )
        from_sql = [amount for _n, amount in cursor.fetchall()]
    by_pk = {p.pk: p for p in grid["programmes"]}
    from_python = [_python_amount(by_pk[pk], d, care, on) for pk, d, care, on in cells]
    assert from_sql == from_python
    # the grid exercises every branch of the rule
    answers = dict(zip(cells, from_python, strict=True))
    urban, rural = grid["programmes"][0].pk, grid["programmes"][1].pk
    assert answers[(urban, "210202", "", dt.date(2027, 3, 1))] == Decimal("880.00")  # own row beats a later city one
    assert answers[(urban, "210203", "", dt.date(2027, 3, 1))] == Decimal("850.00")  # city-wide, future raise
    assert answers[(urban, "210203", "", dt.date(2026, 12, 31))] == Decimal("800.00")  # not yet in force
    assert answers[(rural, "210283", "", dt.date(2027, 1, 1))] == Decimal("640.00")  # own row not yet in force
    assert answers[(urban, "210202", "", dt.date(2025, 12, 31))] is None


def test_the_raise_recompute_resolves_each_district_by_the_same_rule(grid):
    """The recompute's per-district `resolved` (and `resolved_old`, the day before) equal `standard_for`."""
    for programme in grid["programmes"]:
        cte = recompute.computed_cte(calculation=programme.calculation)
        for on in DATES:
            args = recompute.params(programme_id=programme.pk, on=on, districts=None)
            with connection.cursor() as cursor:
                cursor.execute(f"WITH {cte} SELECT district, care_level, amount FROM resolved", args)
                resolved = {(d, care): amount for d, care, amount in cursor.fetchall()}
                cursor.execute(f"WITH {cte} SELECT district, amount FROM resolved_old", args)
                resolved_old = dict(cursor.fetchall())
            expected = {
                (d, care): _python_amount(programme, d, care, on)
                for d in grid["districts"]
                for care in CARE_LEVELS
                if _python_amount(programme, d, care, on) is not None
            }
            assert resolved == expected, (programme.code, on)
            day_before = on - dt.timedelta(days=1)
            expected_old = {
                d: _python_amount(programme, d, "", day_before)
                for d in grid["districts"]
                if _python_amount(programme, d, "", day_before) is not None
            }
            assert resolved_old == expected_old, (programme.code, on)


def test_band_scales_follow_the_same_rule(grid):
    pilot = grid["pilot"]
    cte = recompute.computed_cte(calculation=CalculationMethod.BANDED)
    for on in DATES:
        args = recompute.params(programme_id=pilot.pk, on=on, districts=None)
        with connection.cursor() as cursor:
            cursor.execute(f"WITH {cte} SELECT district, division_id, effective_from FROM scale", args)
            from_sql = {d: (division, day) for d, division, day in cursor.fetchall()}
        from_python = {}
        for d in grid["districts"]:
            scale = amounts.band_scale(programme=pilot, district_code=d, on=on)
            if scale:
                from_python[d] = (scale[0].division_id, scale[0].effective_from)
        assert from_sql == from_python, on
    own = amounts.band_scale(programme=pilot, district_code="210283", on=dt.date(2027, 3, 1))
    assert [(b.division_id, b.income_below) for b in own] == [("210283", Decimal("300.00"))]
    city = amounts.band_scale(programme=pilot, district_code="210202", on=dt.date(2027, 3, 1))
    assert [b.amount for b in city] == [Decimal("550.00"), Decimal("330.00")]
