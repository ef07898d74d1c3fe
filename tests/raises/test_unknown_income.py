"""Issue 12's reproduction: existing cases imported with the income column left blank, then a city raise of +10 yuan
on both allowances. A blank income is unknown (NULL), never 0; the raise treats those cases by the rule the city
chose (delta on top of the paid amount, or keep), and the monthly total moves by no more than the raise implies."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.db.models import Sum

from assistance.models import AmountBasis, Case, CaseAmountChange, Standard
from assistance.raises import selectors, services
from dalian_minzheng.people.idnumbers import make
from tests.assistance.factories import ensure_programmes
from tests.raises.factories import month_start

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "身份证号", "区划代码", "救助类别", "家庭人口", "月保障金额", "家庭月人均收入", "开始发放月份"]
COMMUNITY = "210202001001"


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _import(user, content: bytes, tmp_path, settings):
    from dalian_minzheng.spreadsheets import engine
    from dalian_minzheng.spreadsheets.models import ImportJob, ImportStatus

    settings.MEDIA_ROOT = str(tmp_path / "media")
    job = ImportJob(kind="assistance.cases", original_name="cases.xlsx", uploaded_by=user, division_id="210202")
    job.file.save("cases.xlsx", ContentFile(content), save=False)
    job.save()
    job = engine.validate_job(job.pk)
    assert job.status == ImportStatus.VALIDATED, list(job.errors.values_list("reason", flat=True))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)
    return engine.commit_job(job.pk)


def _rows(standard: Decimal):
    """30 cases without income (legacy amounts such as 701 for 4 persons), 10 with a known income of 200 paid
    (standard − 200) × size."""
    rows = []
    for seq in range(1, 41):
        size = seq % 4 + 1
        number = make("210202", dt.date(1960 + seq % 30, 3, 9), seq)
        income = "" if seq <= 30 else 200
        amount = 701 if size == 4 else 180 * size + seq
        if income:
            amount = (standard - income) * size
        rows.append([f"存量{seq}", number, COMMUNITY, "城市低保", size, amount, income, "2024-03-01"])
    return rows


@pytest.fixture
def imported(divisions, district_admin, tmp_path, settings):
    ensure_programmes()
    standard = Standard.objects.get(programme__code="urban_allowance", division=None).amount
    job = _import(district_admin, _xlsx(_rows(standard)), tmp_path, settings)
    assert job.new_count == 40
    return Case.objects.filter(programme__code="urban_allowance")


def _raise(city_admin, rule: str):
    from assistance.models import Programme

    record = services.raise_create(
        acting_user=city_admin,
        title="全市低保标准提高10元",
        programmes=list(Programme.objects.filter(code__in=["urban_allowance", "rural_allowance"])),
        components=["basic"],
        method="increase_amount",
        value=Decimal("10"),
        rounding="fen",
        effective_from=month_start(0),
        unknown_income_rule=rule,
    )
    return services.raise_approve(acting_user=city_admin, raise_record=record)


def test_blank_income_is_stored_as_unknown_with_an_imported_basis(imported):
    unknown = imported.filter(monthly_income_per_capita__isnull=True)
    assert unknown.count() == 30
    assert set(unknown.values_list("amount_basis", flat=True)) == {AmountBasis.IMPORTED_INCOME_UNKNOWN}
    assert not imported.filter(monthly_income_per_capita=0).exists()
    known = imported.filter(monthly_income_per_capita=200)
    assert known.count() == 10 and set(known.values_list("amount_basis", flat=True)) == {AmountBasis.IMPORTED}
    change = CaseAmountChange.objects.get(case=unknown.first(), reason="approval")
    assert change.basis["rule"] == "import" and change.basis["income"] is None


def test_raise_adds_its_delta_to_cases_with_unknown_income(imported, city_admin):
    before = {c.pk: (c.monthly_amount, c.household_size, c.monthly_income_per_capita) for c in imported}
    total_before = imported.aggregate(t=Sum("monthly_amount"))["t"]
    record = _raise(city_admin, "delta")
    preview = selectors.raise_preview(user=city_admin, raise_record=record)
    result = services.raise_apply(raise_id=record.pk, acting_user=city_admin)
    standard = Standard.objects.get(programme__code="urban_allowance", division=None, effective_from=month_start(0))
    implied = sum(Decimal(10) * size for _amount, size, _income in before.values())
    for case in Case.objects.filter(pk__in=before):
        old, size, income = before[case.pk]
        if income is None:  # the legacy amount plus the raise's 10 yuan per person
            assert case.monthly_amount == old + 10 * size, case.pk
            assert case.amount_basis == AmountBasis.RAISED_DELTA
            assert case.monthly_income_per_capita is None
        else:  # known income: recomputed from the new standard
            assert case.monthly_amount == (standard.amount - income) * size
            assert case.amount_basis == AmountBasis.STANDARD
    total_after = Case.objects.filter(pk__in=before).aggregate(t=Sum("monthly_amount"))["t"]
    # the total moves by exactly what the raise implies (10 yuan × persons); nothing jumps to standard × size
    assert total_after - total_before == implied
    assert total_after < total_before * Decimal("1.1")  # the total nearly tripled
    # the preview said the same as the apply
    assert preview.after - preview.before == result.total_after - result.total_before
    change = CaseAmountChange.objects.filter(source_ref=f"raise:{record.pk}", case__monthly_income_per_capita=None)
    assert change.count() == 30
    basis = change.first().basis
    assert basis["rule"] == "delta" and Decimal(str(basis["standard"])) - Decimal(str(basis["old_standard"])) == 10


def test_keep_rule_leaves_cases_with_unknown_income_alone(imported, city_admin):
    unknown = {c.pk: c.monthly_amount for c in imported.filter(monthly_income_per_capita__isnull=True)}
    record = _raise(city_admin, "keep")
    result = services.raise_apply(raise_id=record.pk, acting_user=city_admin)
    assert result.per_programme  # the known-income cases were recomputed
    assert dict(Case.objects.filter(pk__in=unknown).values_list("pk", "monthly_amount")) == unknown
    assert not CaseAmountChange.objects.filter(source_ref=f"raise:{record.pk}", case_id__in=unknown).exists()
    assert Case.objects.filter(pk__in=unknown, amount_basis=AmountBasis.IMPORTED_INCOME_UNKNOWN).count() == 30


def test_review_of_an_imported_case_with_unknown_income(imported, district_admin):
    """The periodic review works when the income is left blank: it never computes from a guessed 0; a computed
    amount needs the income, and once given the case rests on the standard."""
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from assistance import services as casework

    case = imported.filter(monthly_income_per_capita__isnull=True, household_size=4).first()
    paid = case.monthly_amount
    review = casework.case_open_review(case_id=case.pk, reason="年度复核", acting_user=district_admin,
                                       trigger="scheduled")  # fmt: skip
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        casework.case_decide_review(review_id=review.pk, acting_user=district_admin, outcome="raise", reason="收入变化")
    assert "收入未登记" in str(refused.value)
    case.refresh_from_db()
    assert case.monthly_amount == paid and case.monthly_income_per_capita is None
    # continuing leaves the income unknown, not 0
    casework.case_decide_review(review_id=review.pk, acting_user=district_admin, outcome="continue", reason="")
    case.refresh_from_db()
    assert case.monthly_income_per_capita is None and case.amount_basis == AmountBasis.IMPORTED_INCOME_UNKNOWN
    # the next review records the income: the amount is computed from it and rests on the standard
    review = casework.case_open_review(case_id=case.pk, reason="收入核实", acting_user=district_admin,
                                       trigger="scheduled")  # fmt: skip
    standard = Standard.objects.get(programme__code="urban_allowance", division=None).amount
    income = standard - Decimal("300")  # (standard − income) × 4 = 1200 > 701
    casework.case_decide_review(review_id=review.pk, acting_user=district_admin, outcome="raise", reason="收入核实",
                                income_per_capita=income)  # fmt: skip
    case.refresh_from_db()
    change = case.amount_changes.filter(reason="review").get()
    assert change.new_amount == Decimal("1200.00") and case.amount_basis == AmountBasis.STANDARD
    assert change.basis["rule"] == "standard" and Decimal(change.basis["income"]) == income


@pytest.mark.parametrize("triggers_off", [True, False], ids=["triggers off, the statements write the events",
                                                              "statement-level triggers"])  # fmt: skip
def test_imported_rows_have_their_events_either_way(divisions, district_admin, tmp_path, settings, triggers_off,
                                                    monkeypatch):  # fmt: skip
    """The existing-cases import writes seven rows a case; with the triggers off (issue 12's 10,000 rows/s) each
    statement writes its rows' audit events itself: the same events the statement-level triggers write."""
    from assistance import spreadsheet_kinds
    from assistance.models import Application
    from dalian_minzheng.people.models import Household, HouseholdMember, Person

    monkeypatch.setattr(spreadsheet_kinds, "TRIGGERS_OFF", triggers_off)
    ensure_programmes()
    standard = Standard.objects.get(programme__code="urban_allowance", division=None).amount
    job = _import(district_admin, _xlsx(_rows(standard)), tmp_path, settings)
    assert job.new_count == 40
    from django.db import connection

    with connection.cursor() as cursor:
        assert spreadsheet_kinds._may_switch_triggers_off(cursor) is triggers_off  # the path under test is taken
    for model in (Person, Household, HouseholdMember, Application, Case, CaseAmountChange):
        fields = [f.attname for f in model._meta.concrete_fields if f.attname in
                  {g.attname for g in model.pgh_event_model._meta.concrete_fields}]  # fmt: skip
        events = list(model.pgh_event_model.objects.select_related("pgh_context"))
        rows = {obj.pk: obj for obj in model.objects.all()}
        assert len(rows) == 40 and len(events) == 40, model
        assert {e.pgh_obj_id for e in events} == set(rows) and {e.pgh_label for e in events} == {"insert"}
        for e in events:  # a full copy of the row, in the import's context
            assert {f: getattr(e, f) for f in fields} == {f: getattr(rows[e.pgh_obj_id], f) for f in fields}, model
            assert e.pgh_context.metadata["import_job"] == job.pk
