"""Raises applied in-process: the set-based SQL against the reference calculation, idempotency, back pay, dates,
linked standards, scoping of the report, permissions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assistance import amounts
from assistance.models import Case, CaseAmountChange, Payment, PaymentRoster, Standard
from assistance.raises import selectors, services
from assistance.raises.models import Raise, RaiseBackPay, RaiseStandard, RaiseStatus
from tests.raises import factories as f

pytestmark = pytest.mark.django_db


def _reference(case: Case, on: dt.date) -> Decimal:
    return amounts.monthly_amount(
        programme=case.programme,
        district_code=case.division_id[:6],
        on=on,
        household_size=case.household_size,
        income_per_capita=case.monthly_income_per_capita,
        care_level=case.care_level,
    )


def _raise(
    user,
    programmes,
    *,
    on,
    method="increase_percent",
    value="8",
    rounding="up_yuan",
    components=None,
    districts=None,
    title="2026年提标",
):
    return services.raise_create(
        acting_user=user,
        title=title,
        programmes=programmes,
        districts=districts or [],
        components=components or ["basic"],
        method=method,
        value=Decimal(value),
        rounding=rounding,
        effective_from=on,
    )


@pytest.fixture
def data(divisions):
    progs = f.standards()
    cases = f.mixed_cases()
    f.tolerate_outliers()
    return progs, cases


def test_apply_gives_exactly_the_reference_amounts(city_admin, data):
    progs, cases = data
    on = f.month_start(0)
    r = _raise(city_admin, [progs["raise_urban_allowance"], progs["raise_rural_allowance"]], on=on)
    preview = selectors.raise_preview(user=city_admin, raise_record=r, with_case_amounts=True)
    assert not preview.plan.problems
    services.raise_approve(acting_user=city_admin, raise_record=r)
    before = {c.pk: c.monthly_amount for c in Case.objects.all()}

    result = services.raise_apply(raise_id=r.pk, acting_user=city_admin, today=on)

    # 8 % rounded up to whole yuan: city-wide 1000 → 1080, 中山区's own 1050 → 1134, rural 800 → 864
    new = {(s.division_id, s.programme.code): s.amount for s in Standard.objects.filter(effective_from=on)}
    assert new[(None, "raise_urban_allowance")] == Decimal("1080.00")
    assert new[("210202", "raise_urban_allowance")] == Decimal("1134.00")
    assert new[(None, "raise_rural_allowance")] == Decimal("864.00")
    # the linked hardship basic standard follows: 1.3 × 1080 = 1404, 1.3 × 1134 = 1474.2 → 1475
    assert new[(None, "raise_urban_hardship")] == Decimal("1404.00")
    assert new[("210202", "raise_urban_hardship")] == Decimal("1475.00")

    changed = 0
    for case in Case.objects.select_related("programme"):
        if case.status in ("active", "under_review"):
            assert case.monthly_amount == _reference(case, on), case
            if case.programme.code.startswith(("raise_disability", "raise_illness")):  # not covered by this raise
                assert case.pk not in preview.case_amounts
            else:
                assert preview.case_amounts[case.pk][1] == case.monthly_amount  # the preview showed what was applied
            if case.monthly_amount != before[case.pk]:
                changed += 1
                change = CaseAmountChange.objects.get(case=case, source_ref=f"raise:{r.pk}")
                assert (change.old_amount, change.new_amount, change.reason) == (
                    before[case.pk],
                    case.monthly_amount,
                    "raise",
                )
        else:
            assert case.monthly_amount == before[case.pk], "stopped and phase-out cases keep their amount"
            assert not CaseAmountChange.objects.filter(case=case).exists()
    assert changed == result.cases_changed == CaseAmountChange.objects.count() > 30
    assert preview.changed == changed
    r.refresh_from_db()
    assert r.status == RaiseStatus.APPLIED and r.cases_changed == changed
    assert r.monthly_total_after - r.monthly_total_before == preview.after - preview.before
    # disability subsidies were not covered: unchanged
    assert all(
        c.monthly_amount == before[c.pk] for c in Case.objects.filter(programme__code__startswith="raise_disability")
    )


def test_care_amounts_and_disability_subsidies_raised_the_same_way(city_admin, data):
    progs, cases = data
    on = f.month_start(0)
    r = _raise(
        city_admin,
        [progs["raise_urban_hardship"], progs["raise_disability_living"], progs["raise_disability_care"]],
        on=on,
        method="increase_amount",
        value="20",
        components=["self_care", "half_care", "full_care"],
    )
    plan = selectors.raise_preview(user=city_admin, raise_record=r).plan
    # care levels exist only for hardship; the subsidies have no care amounts → reported, not silently skipped
    assert plan.problems
    r2 = _raise(
        city_admin,
        [progs["raise_disability_living"], progs["raise_disability_care"]],
        on=on,
        method="increase_amount",
        value="20",
        title="两项补贴提标",
    )
    r.delete()
    r3 = _raise(
        city_admin,
        [progs["raise_urban_hardship"]],
        on=on,
        method="increase_amount",
        value="20",
        components=["self_care", "half_care", "full_care"],
        title="护理标准提标",
    )
    for item in (r2, r3):
        services.raise_approve(acting_user=city_admin, raise_record=item)
        services.raise_apply(raise_id=item.pk, acting_user=city_admin, today=on)
    care = dict(Standard.objects.filter(effective_from=on, care_level__gt="").values_list("care_level", "amount"))
    assert care == {"self_care": Decimal("120.00"), "half_care": Decimal("370.00"), "full_care": Decimal("720.00")}
    for case in Case.objects.filter(
        status="active",
        programme__code__in=["raise_urban_hardship", "raise_disability_living", "raise_disability_care"],
    ).select_related("programme"):
        assert case.monthly_amount == _reference(case, on)
    hardship_full = Case.objects.get(
        programme__code="raise_urban_hardship", care_level="full_care", division_id="210203001001"
    )
    assert hardship_full.monthly_amount == Decimal("1300.00") + Decimal("720.00")


def test_applying_twice_changes_nothing(city_admin, data):
    progs, _ = data
    on = f.month_start(0)
    r = _raise(city_admin, [progs["raise_urban_allowance"]], on=on)
    services.raise_approve(acting_user=city_admin, raise_record=r)
    first = services.raise_apply(raise_id=r.pk, acting_user=city_admin, today=on)
    state = sorted(Case.objects.values_list("id", "monthly_amount"))
    changes = CaseAmountChange.objects.count()
    standards = Standard.objects.count()
    second = services.raise_apply(raise_id=r.pk, acting_user=city_admin, today=on)
    assert first.cases_changed > 0 and second.already_applied and second.cases_changed == 0
    assert sorted(Case.objects.values_list("id", "monthly_amount")) == state
    assert (CaseAmountChange.objects.count(), Standard.objects.count()) == (changes, standards)


def test_a_case_already_carrying_the_raise_is_not_raised_again(city_admin, data):
    """The once-per-case check of the apply statement: a case that already has this raise's amount change (e.g. put
    there by hand) keeps its amount and its single change; every other case is raised."""
    progs, _ = data
    on = f.month_start(0)
    r = _raise(city_admin, [progs["raise_urban_allowance"]], on=on)
    services.raise_approve(acting_user=city_admin, raise_record=r)
    marked = Case.objects.filter(programme=progs["raise_urban_allowance"], status="active").order_by("id").first()
    CaseAmountChange.objects.create(
        case=marked, effective_from=on, old_amount=marked.monthly_amount, new_amount=marked.monthly_amount,
        reason="raise", source_ref=r.source_ref,
    )  # fmt: skip
    before = marked.monthly_amount
    result = services.raise_apply(raise_id=r.pk, acting_user=city_admin, today=on)
    marked.refresh_from_db()
    assert result.cases_changed > 0
    assert marked.monthly_amount == before
    assert CaseAmountChange.objects.filter(case=marked, source_ref=r.source_ref).count() == 1
    assert CaseAmountChange.objects.filter(source_ref=r.source_ref).count() == result.cases_changed + 1


def test_future_effective_date_waits_for_its_day(city_admin, data):
    progs, _ = data
    on = f.month_start(2)
    r = _raise(city_admin, [progs["raise_urban_allowance"]], on=on)
    services.raise_approve(acting_user=city_admin, raise_record=r)
    assert r.pk not in services.due_raise_ids(today=f.month_start(0))
    with pytest.raises(ValidationError):
        services.raise_apply(raise_id=r.pk, acting_user=city_admin, today=f.month_start(0))
    assert not Standard.objects.filter(effective_from=on).exists()
    assert r.pk in services.due_raise_ids(today=on)
    result = services.raise_apply(raise_id=r.pk, today=on)
    assert result.cases_changed > 0
    assert not RaiseBackPay.objects.exists()  # applied on its day: nothing to pay back


def test_past_effective_date_yields_back_pay_without_roster_history(city_admin, data):
    progs, _ = data
    on = f.month_start(-2)
    today = f.month_start(0) + dt.timedelta(days=9)
    r = _raise(city_admin, [progs["raise_urban_allowance"]], on=on)
    services.raise_approve(acting_user=city_admin, raise_record=r)
    services.raise_apply(raise_id=r.pk, acting_user=city_admin, today=today)
    backs = {b.case_id: b for b in RaiseBackPay.objects.filter(raise_record=r)}
    assert backs
    for change in CaseAmountChange.objects.filter(source_ref=f"raise:{r.pk}").select_related("case"):
        if change.case.first_payment_month > today:
            assert change.case_id not in backs  # starts paying in the future: nothing owed
            continue
        back = backs[change.case_id]
        # the two months before this one were paid at the old amount
        assert back.months == 2 and back.from_month == on
        assert back.amount == (change.new_amount - change.old_amount) * 2
    owed = services.back_pay_owed(district_code="210202")
    assert owed and all(case_id in backs for case_id in owed)
    assert all(Case.objects.get(pk=cid).division_id.startswith("210202") for cid in owed)


def test_past_effective_date_back_pay_counts_the_months_rosters_paid(city_admin, data):
    progs, cases = data
    on = f.month_start(-3)
    case = next(
        c
        for c in cases
        if c.division_id.startswith("210203")
        and c.status == "active"
        and c.programme.code == "raise_urban_allowance"
        and c.monthly_amount > 0
    )
    # 西岗区 paid through the portal for the last three months, at the old amount
    for offset in (-3, -2, -1):
        roster = PaymentRoster.objects.create(month=f.month_start(offset), district_id="210203", status="ready")
        Payment.objects.create(
            roster=roster,
            case=case,
            month=roster.month,
            division_id=case.division_id,
            programme=case.programme,
            amount=case.monthly_amount,
        )
    r = _raise(city_admin, [progs["raise_urban_allowance"]], on=on)
    services.raise_approve(acting_user=city_admin, raise_record=r)
    services.raise_apply(raise_id=r.pk, acting_user=city_admin, today=f.month_start(0))
    case.refresh_from_db()
    back = RaiseBackPay.objects.get(raise_record=r, case=case)
    change = CaseAmountChange.objects.get(case=case, source_ref=f"raise:{r.pk}")
    assert back.months == 3 and back.amount == (change.new_amount - change.old_amount) * 3
    # other 西岗区 cases had no payment in the portal's rosters for those months: nothing owed
    assert (
        not RaiseBackPay.objects.filter(raise_record=r, division__code__startswith="210203").exclude(case=case).exists()
    )
    # the next roster (the casework service, which calls the raise hook) pays it once, also when rebuilt
    from assistance import services as casework

    roster = casework.build_roster(month=f.month_start(1), district_code="210203")
    payment = Payment.objects.get(roster=roster, case=case)
    assert payment.amount == change.new_amount and payment.back_pay == back.amount
    assert roster.total_amount == sum(p.amount + p.back_pay for p in Payment.objects.filter(roster=roster))
    roster = casework.build_roster(month=f.month_start(1), district_code="210203")
    assert Payment.objects.get(roster=roster, case=case).back_pay == back.amount
    assert services.back_pay_owed(district_code="210203") == {}
    later = casework.build_roster(month=f.month_start(2), district_code="210203")
    assert Payment.objects.get(roster=later, case=case).back_pay == 0


def test_district_raise_touches_only_that_district(city_admin, data):
    progs, _ = data
    on = f.month_start(0)
    from dalian_minzheng.people.models import Division

    r = _raise(
        city_admin,
        [progs["raise_urban_allowance"]],
        on=on,
        districts=[Division.objects.get(code="210203")],
        method="new_amount",
        value="1100",
    )
    services.raise_approve(acting_user=city_admin, raise_record=r)
    planned = {(p.programme.code, p.division_id): p.new_amount for p in RaiseStandard.objects.filter(raise_record=r)}
    assert planned == {
        ("raise_urban_allowance", "210203"): Decimal("1100.00"),
        ("raise_urban_hardship", "210203"): Decimal("1430.00"),
    }
    services.raise_apply(raise_id=r.pk, acting_user=city_admin, today=on)
    changed = CaseAmountChange.objects.filter(source_ref=f"raise:{r.pk}").select_related("case")
    assert changed and all(ch.case.division_id.startswith("210203") for ch in changed)
    for case in Case.objects.filter(status="active", division__code__startswith="210203").select_related("programme"):
        assert case.monthly_amount == _reference(case, on)
    assert not CaseAmountChange.objects.exclude(case__division__code__startswith="210203").exists()


def test_audit_trail_names_the_raise(city_admin, data):
    from django.apps import apps

    progs, _ = data
    on = f.month_start(0)
    r = _raise(city_admin, [progs["raise_rural_allowance"]], on=on)
    services.raise_approve(acting_user=city_admin, raise_record=r)
    services.raise_apply(raise_id=r.pk, acting_user=city_admin, today=on)
    case_ids = set(CaseAmountChange.objects.filter(source_ref=f"raise:{r.pk}").values_list("case_id", flat=True))
    assert case_ids
    case_event = apps.get_model("assistance", "CaseEvent")
    updates = case_event.objects.filter(pgh_obj_id__in=case_ids, pgh_label="update").select_related("pgh_context")
    assert {e.pgh_obj_id for e in updates} == case_ids
    assert all(e.pgh_context.metadata["raise_id"] == r.pk for e in updates)
    new_standard = apps.get_model("assistance", "StandardEvent").objects.get(
        pgh_label="insert", programme_id=progs["raise_rural_allowance"].pk, effective_from=on
    )
    assert new_standard.pgh_context.metadata["raise_id"] == r.pk


def test_only_the_city_admin_manages_raises(city_admin, district_admin, auditor, data):
    progs, _ = data
    on = f.month_start(0)
    for user in (district_admin, auditor):
        with pytest.raises(PermissionDenied):
            _raise(user, [progs["raise_urban_allowance"]], on=on)
    r = _raise(city_admin, [progs["raise_urban_allowance"]], on=on)
    with pytest.raises(PermissionDenied):
        services.raise_approve(acting_user=district_admin, raise_record=r)


def test_plan_refuses_bad_raises(city_admin, data):
    progs, _ = data
    with pytest.raises(ValidationError):
        _raise(city_admin, [progs["raise_urban_allowance"]], on=f.month_start(0) + dt.timedelta(days=3))
    r = _raise(city_admin, [progs["raise_urban_hardship"]], on=f.month_start(0))
    with pytest.raises(ValidationError):  # linked: raise the allowance instead
        services.raise_approve(acting_user=city_admin, raise_record=r)
    old = _raise(city_admin, [progs["raise_urban_allowance"]], on=dt.date(2019, 1, 1), title="earlier")
    with pytest.raises(ValidationError):  # would slip in before the 2020 standard already in the table
        services.raise_approve(acting_user=city_admin, raise_record=old)
    assert Raise.objects.filter(status="draft").count() == 2


def test_report_is_scoped_for_district_admins(city_admin, district_admin, auditor, data):
    progs, _ = data
    on = f.month_start(0)
    r = _raise(city_admin, [progs["raise_urban_allowance"]], on=on)
    services.raise_approve(acting_user=city_admin, raise_record=r)
    services.raise_apply(raise_id=r.pk, acting_user=city_admin, today=on)
    r.refresh_from_db()
    city = selectors.raise_report(user=city_admin, raise_record=r)
    district = selectors.raise_report(user=district_admin, raise_record=r)
    assert {row.district for row in city.rows} == {"210202", "210203", "210204", "210211", "210281"}
    assert {row.district for row in district.rows} == {"210202"}
    assert selectors.raise_report(user=auditor, raise_record=r).changed == city.changed == r.cases_changed
    assert city.after - city.before == r.monthly_total_after - r.monthly_total_before


@pytest.mark.parametrize(
    "triggers_off", [True, False], ids=["triggers off, the statement writes the events", "statement-level triggers"]
)
def test_audit_events_are_full_snapshots_of_the_changed_rows(city_admin, data, monkeypatch, triggers_off):
    """Both ways of writing the audit trail give the same events: one per changed case (label update), one per
    amount change and one per back-pay row (label insert), each a full copy of the row as it is after the change,
    with the raise as cause. (The triggers are what the replica path must equal.)"""
    from django.db import connection

    from assistance.raises import recompute

    monkeypatch.setattr(recompute, "ROW_TRIGGERS_OFF", triggers_off)
    progs, _ = data
    on = f.month_start(-2)  # in the past: back pay too
    today = f.month_start(0) + dt.timedelta(days=3)
    r = _raise(city_admin, [progs["raise_urban_allowance"]], on=on)
    services.raise_approve(acting_user=city_admin, raise_record=r)
    statements = []
    with connection.execute_wrapper(lambda execute, sql, *args: statements.append(sql) or execute(sql, *args)):
        services.raise_apply(raise_id=r.pk, acting_user=city_admin, today=today)
    assert any("session_replication_role = replica" in sql for sql in statements) == triggers_off
    changes = list(CaseAmountChange.objects.filter(source_ref=f"raise:{r.pk}"))
    back_pays = list(RaiseBackPay.objects.filter(raise_record=r))
    assert changes and back_pays
    for model, objects, label in (
        (Case, Case.objects.filter(pk__in=[c.case_id for c in changes]), "update"),
        (CaseAmountChange, changes, "insert"),
        (RaiseBackPay, back_pays, "insert"),
    ):
        events = model.pgh_event_model
        tracked = [f.attname for f in model._meta.fields]
        written = [
            e
            for e in events.objects.filter(pgh_label=label).select_related("pgh_context")
            if e.pgh_context and e.pgh_context.metadata.get("raise_id")
        ]
        raise_events = {e.pgh_obj_id: e for e in written}
        assert len(written) == len(raise_events) == len(objects)  # one event per row, none twice
        assert set(raise_events) == {o.pk for o in objects}
        for obj in objects:
            event = raise_events[obj.pk]
            assert {a: getattr(event, a) for a in tracked} == {a: getattr(obj, a) for a in tracked}
            assert event.pgh_context.metadata["raise_id"] == r.pk


def test_apply_writes_only_tables_whose_triggers_it_accounts_for():
    """The apply statement may run with every row trigger off (recompute.ROW_TRIGGERS_OFF) because it writes the
    audit events itself and guarantees the foreign keys it writes. A trigger added later to one of these tables
    would be skipped silently: this inventory fails first, so the apply is adapted (or the trigger is ENABLE ALWAYS)."""
    from django.db import connection

    expected_audit = {
        "assistance_case": {"insert_insert", "update_update", "delete_delete"},
        "assistance_caseamountchange": {"insert_insert", "update_update", "delete_delete"},
        "raises_raisebackpay": {"insert_insert", "update_update", "delete_delete"},
        # the event tables: pghistory's append-only guards fire on UPDATE/DELETE, never on the apply's inserts
        "assistance_caseevent": set(),
        "assistance_caseamountchangeevent": set(),
        "raises_raisebackpayevent": set(),
    }
    # foreign keys each table checks on its own inserts/updates: (column → table), all accounted for in recompute
    expected_fks = {
        "assistance_case": {"application_id", "household_id", "programme_id", "division_id"},
        "assistance_caseamountchange": {"case_id", "created_by_id"},
        "raises_raisebackpay": {"raise_record_id", "case_id", "division_id", "roster_id"},
    }
    with connection.cursor() as cursor:
        for table, audit in expected_audit.items():
            cursor.execute(
                "SELECT t.tgname, t.tgisinternal, t.tgtype, t.tgenabled FROM pg_trigger t"
                " WHERE t.tgrelid = %s::regclass",
                [table],
            )
            rows = cursor.fetchall()
            user_triggers = {name for name, internal, _type, _enabled in rows if not internal}
            pghistory = {n for n in user_triggers if n.startswith("pgtrigger_")}
            names = {n.removeprefix("pgtrigger_").rsplit("_", 1)[0] for n in pghistory}
            assert user_triggers == pghistory, f"{table}: triggers the apply does not account for"
            if audit:
                assert names == audit, table
            else:
                # UPDATE (16) or DELETE (8) guards only, BEFORE (2), no INSERT (4)
                assert all(tgtype & 4 == 0 for name, internal, tgtype, _e in rows if not internal), table
            assert all(enabled != "A" for _n, _i, _t, enabled in rows), f"{table}: ENABLE ALWAYS trigger"
            cursor.execute(
                "SELECT a.attname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid"
                " AND a.attnum = ANY(c.conkey) WHERE c.contype = 'f' AND c.conrelid = %s::regclass",
                [table],
            )
            assert {r[0] for r in cursor.fetchall()} == expected_fks.get(table, set()), table


def test_case_with_a_future_dated_change_gets_the_raise_from_that_change(city_admin, data):
    """A review decided this month for next month (household size 2 → 3) is already the case's amount; the raise
    (this month) recomputes it from the case's current figures and records it from next month, so next month's
    roster pays the raised amount instead of the review's amount under the old standard."""
    from assistance import services as casework

    progs, _ = data
    on = f.month_start(0)
    case = f.make_case("210211001001", household_size=2, income="300")
    case.household_size = 3
    case.save(update_fields=["household_size"])
    reviewed = _reference(case, f.month_start(1))  # under the old standard, 3 persons
    casework.case_change_amount(case_id=case.pk, new_amount=reviewed, effective_from=f.month_start(1), reason="review")
    r = _raise(city_admin, [progs["raise_urban_allowance"]], on=on)
    services.raise_approve(acting_user=city_admin, raise_record=r)
    services.raise_apply(raise_id=r.pk, acting_user=city_admin, today=on)
    case.refresh_from_db()
    change = CaseAmountChange.objects.get(case=case, source_ref=f"raise:{r.pk}")
    assert change.effective_from == f.month_start(1) and change.old_amount == reviewed
    assert case.monthly_amount == change.new_amount == _reference(case, on) > reviewed
    roster = casework.build_roster(month=f.month_start(1), district_code="210211")
    assert Payment.objects.get(roster=roster, case=case).amount == case.monthly_amount
    # cases without a later change get the raise from the raise's own date
    assert set(
        CaseAmountChange.objects.filter(source_ref=f"raise:{r.pk}")
        .exclude(case=case)
        .values_list("effective_from", flat=True)
    ) == {on}


def test_banded_programme_raises_its_bands(city_admin, data):
    from assistance.models import StandardBand

    progs, _ = data
    on = f.month_start(0)
    with pytest.raises(ValidationError):  # a single new amount makes no sense for a scale of bands
        bad = _raise(city_admin, [progs["raise_illness_pilot"]], on=on, method="new_amount", value="600")
        services.raise_approve(acting_user=city_admin, raise_record=bad)
    r = _raise(city_admin, [progs["raise_illness_pilot"]], on=on, method="increase_percent", value="10",
               rounding="up_yuan", title="试点提标")  # fmt: skip
    preview = selectors.raise_preview(user=city_admin, raise_record=r, with_case_amounts=True)
    services.raise_approve(acting_user=city_admin, raise_record=r)
    services.raise_apply(raise_id=r.pk, acting_user=city_admin, today=on)
    new = list(StandardBand.objects.filter(effective_from=on).values_list("division_id", "income_below", "amount"))
    assert sorted(new, key=str) == sorted(
        [
            ("210203", Decimal("400.00"), Decimal("605.00")),
            (None, Decimal("300.00"), Decimal("550.00")),
            (None, Decimal("600.00"), Decimal("330.00")),
            (None, Decimal("900.00"), Decimal("110.00")),
        ],
        key=str,
    )
    pilot_cases = Case.objects.filter(programme__code="raise_illness_pilot").select_related("programme")
    assert pilot_cases.count() == 25
    for case in pilot_cases:
        assert case.monthly_amount == _reference(case, on), (case.division_id, case.monthly_income_per_capita)
        assert preview.case_amounts[case.pk][1] == case.monthly_amount
    above = pilot_cases.get(division_id="210202001001", monthly_income_per_capita=Decimal("950"))
    assert above.monthly_amount == 0
