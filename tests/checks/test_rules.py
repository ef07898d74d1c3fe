"""Every item rule of the reference catalogue, run through the real engine (set-based SQL) in-process."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from assistance.checks import reference, services
from assistance.checks.models import CheckRun, DataItem, Finding, Outcome, Resolution, RunKind
from assistance.models import Application
from tests.checks.factories import authorise, deliver, make_application, member_numbers

C, N, S = Outcome.COMPLIANT, Outcome.NONCOMPLIANT, Outcome.SUSPECT

# item code → [(value, attributes, expected outcome)], covering both sides of every threshold
CASES = {
    "hukou": [(None, {}, C)],
    "death_record": [(None, {}, S)],
    "vehicle": [(1, {}, S), (1, {"disabled_mobility": True}, C), (0, {}, C)],
    "custody": [(None, {}, S)],
    "employment_registration": [(None, {}, S)],
    "unemployment_registration": [(None, {}, C)],
    "pension_insurance": [(450, {}, S), (0, {}, C)],
    "pension_payment": [(1800, {}, C)],
    "wages": [(2500, {}, S), (2000, {}, C), (1500, {}, C)],
    "unemployment_benefit": [(1300, {}, C)],
    "public_servant": [(None, {}, N)],
    "residential_property": [(2, {}, N), (1, {}, C)],
    "nonresidential_property": [(1, {}, N), (0, {}, C)],
    "property_transfer": [(350000, {}, S)],
    "housing_fund_contribution": [(300, {}, S)],
    "housing_fund_balance": [(40000, {}, S), (30000, {}, C)],
    "housing_fund_loan": [(200000, {}, C)],
    "company_registration": [(1, {}, N)],
    "sole_trader": [(1, {}, S)],
    "registered_capital": [(150000, {}, N), (100000, {}, C)],
    "income_tax": [(2100, {}, S), (1000, {}, C)],
    "business_income": [(600, {}, S), (0, {}, C)],
    "tax_credit": [(None, {"grade": "B"}, C)],
    "employee_medical": [(None, {}, S)],
    "resident_medical": [(None, {}, C)],
    "medical_expenses": [(60000, {}, C)],
    "deposits": [(38401, {}, N), (38400, {}, C)],
    "wealth_products": [(50000, {}, N), (1000, {}, C)],
    "bank_loans": [(80000, {}, C)],
    "large_transactions": [(60000, {}, S), (50000, {}, C)],
    "stocks": [(40000, {}, N), (100, {}, C)],
    "funds": [(39000, {}, N), (0, {}, C)],
    "marriage_registration": [(None, {"kind": "结婚"}, S)],
    "other_assistance": [(500, {"district": "沈阳市"}, S)],
}


def test_every_catalogue_item_has_a_rule_test(catalogue):
    assert set(CASES) == set(DataItem.objects.values_list("code", flat=True))
    assert len(CASES) == 34
    assert DataItem.objects.values("department").distinct().count() == 10
    assert DataItem.objects.values("category").distinct().count() == 6


def run_now(application, user=None) -> CheckRun:
    run = CheckRun.objects.create(kind=RunKind.APPLICATION, division_id=application.division_id, total=1, chunk_size=1)
    from assistance.checks.models import CheckRunSubject

    CheckRunSubject.objects.create(run=run, application_id=application.pk)
    services.run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


FLAT = [(code, value, attrs, expected) for code, cases in CASES.items() for value, attrs, expected in cases]


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "value", "attributes", "expected"), FLAT)
def test_item_rule(catalogue, code, value, attributes, expected):
    application = make_application("210202001001", size=2)
    authorise(application)
    item = DataItem.objects.select_related("department").get(code=code)
    head = member_numbers(application)[0]
    deliver(item.department.code, [{"id_number": head, "item": code, "value": value, "attributes": attributes}])
    run = run_now(application)
    finding = Finding.objects.get(application=application, item=item)
    assert finding.outcome == expected, (code, value, finding.limit_applied)
    assert finding.resolution == (Resolution.NOT_REQUIRED if expected == C else Resolution.OPEN)
    assert finding.department_id == item.department_id
    assert finding.value == (Decimal(str(value)) if value is not None else None)
    assert run.status == "done"
    application.refresh_from_db()
    assert application.check_status == ("clear" if expected == C else "findings_open")


@pytest.mark.django_db
def test_income_and_employment_effects(catalogue):
    application = make_application("210202001001", size=2)
    authorise(application)
    head, spouse = member_numbers(application)
    deliver(
        "human_resources",
        [
            {"id_number": head, "item": "wages", "value": 2500},
            {"id_number": spouse, "item": "wages", "value": 1200},
            {"id_number": spouse, "item": "pension_payment", "value": 1800},
        ],
    )
    deliver("housing_fund", [{"id_number": head, "item": "housing_fund_contribution", "value": 300}])
    run_now(application)
    found = {(f.person.id_number, f.item.code): f for f in Finding.objects.select_related("person", "item")}
    assert found[(head, "wages")].income_counted == Decimal("2500")  # above the threshold: counted
    assert found[(spouse, "wages")].income_counted is None  # below: not counted, compliant
    assert found[(spouse, "pension_payment")].income_counted == Decimal("1800")
    assert found[(head, "housing_fund_contribution")].employed is True
    assert found[(head, "housing_fund_contribution")].outcome == S


@pytest.mark.django_db
def test_household_deposits_add_up_across_members(catalogue):
    """24 months × 800 (city standard) × 2 members = 38,400: two members with 20,000 each exceed it together."""
    application = make_application("210202001001", size=2)
    authorise(application)
    head, spouse = member_numbers(application)
    deliver(
        "banks",
        [
            {"id_number": head, "item": "deposits", "value": 20000},
            {"id_number": spouse, "item": "deposits", "value": 20000},
        ],
    )
    run_now(application)
    findings = Finding.objects.filter(item__code="deposits")
    assert {f.outcome for f in findings} == {N}
    assert {f.household_total for f in findings} == {Decimal("40000")}
    assert {f.limit_applied for f in findings} == {Decimal("38400")}


@pytest.mark.django_db
def test_thresholds_are_data(catalogue, city_admin):
    """The city admin raises the wage threshold: the same record becomes compliant on the next check."""
    application = make_application("210202001001", size=2)
    authorise(application)
    head = member_numbers(application)[0]
    deliver("human_resources", [{"id_number": head, "item": "wages", "value": 2500}])
    run_now(application)
    assert Finding.objects.get(item__code="wages").outcome == S
    services.item_update(acting_user=city_admin, item=DataItem.objects.get(code="wages"), data={"threshold": 3000})
    run_now(application)
    finding = Finding.objects.get(item__code="wages")
    assert finding.outcome == C and finding.resolution == Resolution.NOT_REQUIRED
    assert Application.objects.get(pk=application.pk).check_status == "clear"


@pytest.mark.django_db
def test_no_record_no_finding_and_clear(catalogue):
    application = make_application("210202001001", size=3)
    authorise(application)
    run = run_now(application)
    assert not Finding.objects.exists()
    assert run.members_checked == 3 and run.members_missing_authorisation == 0
    application.refresh_from_db()
    assert application.check_status == "clear"


@pytest.mark.django_db
def test_missing_authorisation_skips_member_and_blocks_the_gate(catalogue):
    application = make_application("210202001001", size=2)
    head, spouse = member_numbers(application)
    spouse_id = application.household.members.get(person__id_number=spouse).person_id
    authorise(application, except_person_ids=(spouse_id,))
    deliver(
        "public_security",
        [
            {"id_number": head, "item": "vehicle", "value": 1},
            {"id_number": spouse, "item": "vehicle", "value": 1},
        ],
    )
    run = run_now(application)
    # the spouse has a record but no authorisation: no finding is made for them
    assert list(Finding.objects.values_list("person__id_number", flat=True)) == [head]
    assert run.members_missing_authorisation == 1
    from assistance.checks import selectors

    assert [p.id_number for p in selectors.members_missing_authorisation(application)] == [spouse]
    application.refresh_from_db()
    assert application.check_status == "not_started"


def test_reference_load_is_idempotent_and_keeps_admin_edits(catalogue):
    DataItem.objects.filter(code="wages").update(threshold=Decimal("2600"))
    reference.load()
    assert DataItem.objects.count() == 34
    assert DataItem.objects.get(code="wages").threshold == Decimal("2600")
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.filter(task="checks.recheck_active_cases").count() == 1


@pytest.mark.django_db
def test_as_of_is_evidence(catalogue):
    application = make_application("210202001001", size=1)
    authorise(application)
    head = member_numbers(application)[0]
    deliver(
        "real_estate", [{"id_number": head, "item": "nonresidential_property", "value": 1}], as_of=dt.date(2026, 10, 31)
    )
    run_now(application)
    finding = Finding.objects.get()
    assert finding.as_of == dt.date(2026, 10, 31)
    assert finding.record.delivery.department.code == "real_estate"
