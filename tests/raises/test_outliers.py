"""Issue 12, item 3: the raise preview guards the money. The change per programme and district stands next to what
the raise implies; a case whose change exceeds the rule table's factor, or a district total out of band, is listed;
approval is refused until a second city admin (not the raise's author) acknowledges each outlier group."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assistance.models import Programme, Standard
from assistance.raises import selectors, services
from assistance.raises.models import OutlierRule, RaiseStatus
from tests.conftest import TEST_PASSWORD
from tests.raises import factories as f
from tests.raises.test_unknown_income import _import, _rows, _xlsx

pytestmark = pytest.mark.django_db


def _draft(user, programmes, value="10"):
    return services.raise_create(
        acting_user=user,
        title="全市低保标准提高10元",
        programmes=programmes,
        components=["basic"],
        method="increase_amount",
        value=Decimal(value),
        rounding="fen",
        effective_from=f.month_start(0),
    )


def test_reproduction_blank_incomes_raise_within_what_it_implies(divisions, district_admin, city_admin, tmp_path,
                                                                  settings):  # fmt: skip
    from tests.assistance.factories import ensure_programmes

    ensure_programmes()
    standard = Standard.objects.get(programme__code="urban_allowance", division=None).amount
    job = _import(district_admin, _xlsx(_rows(standard)), tmp_path, settings)
    assert job.new_count == 40
    programmes = list(Programme.objects.filter(code__in=["urban_allowance", "rural_allowance"]))
    draft = _draft(city_admin, programmes)
    preview = selectors.raise_preview(user=city_admin, raise_record=draft, with_check=True)
    sizes = sum(size for *_x, size, _amount, _income, _month in _rows(standard))
    cell = preview.check.cell(programmes[0].pk if programmes[0].code == "urban_allowance" else programmes[1].pk,
                              "210202")  # fmt: skip
    # what the raise implies: 10 yuan × persons of every recomputed case; the change is exactly that (the 4-person
    # household with a blank income goes 701 → 741, not to standard × 4)
    assert cell.implied == Decimal(10) * sizes
    assert cell.change == cell.implied and cell.outlier_count == 0 and not cell.out_of_band
    assert preview.check.groups == []
    assert preview.after - preview.before == cell.implied
    # nothing to acknowledge: the author approves
    approved = services.raise_approve(acting_user=city_admin, raise_record=draft)
    assert approved.status == RaiseStatus.APPROVED


@pytest.fixture
def with_outlier(divisions):
    progs = f.standards()
    normal = [f.make_case("210202001001", household_size=size, income="100") for size in (1, 2, 3, 4)]
    # an amount corrected by hand far below the standard: the recomputation jumps it to (1060 − 500) × 2
    outlier = f.make_case("210202001001", household_size=2, income="500", amount=Decimal("1.00"), name="王大伟")
    return progs, normal, outlier


def test_outlier_case_is_listed_and_approval_waits_for_a_second_city_admin(with_outlier, city_admin, make_user):
    progs, normal, outlier = with_outlier
    draft = _draft(city_admin, [progs["raise_urban_allowance"]])
    check = selectors.raise_preview(user=city_admin, raise_record=draft, with_check=True).check
    cell = check.cell(progs["raise_urban_allowance"].pk, "210202")
    assert cell.implied == Decimal(10) * (1 + 2 + 3 + 4 + 2)
    assert cell.outlier_count == 1 and cell.outlier_change == Decimal("1119.00")
    keys = sorted(g.key for g in check.groups)
    programme_id = progs["raise_urban_allowance"].pk
    assert keys == [f"cases:{programme_id}:210202", f"district:{programme_id}:210202"]
    cases_group = next(g for g in check.groups if g.kind == "cases")
    assert [c["case_id"] for c in cases_group.cases] == [outlier.pk]
    assert cases_group.cases[0]["name"] == "王大伟" and "*" in cases_group.cases[0]["id_number"]

    with pytest.raises(ValidationError) as refused:
        services.raise_approve(acting_user=city_admin, raise_record=draft)
    assert "中山区" in str(refused.value)
    # the author may not acknowledge their own raise's outliers
    with pytest.raises(PermissionDenied):
        services.raise_acknowledge_outliers(
            acting_user=city_admin, raise_record=draft, group=cases_group.key, note="已核实"
        )
    second = make_user("city_admin_2", "city_admin", "210200")
    with pytest.raises(ValidationError):  # an acknowledgement says why
        services.raise_acknowledge_outliers(acting_user=second, raise_record=draft, group=cases_group.key, note=" ")
    services.raise_acknowledge_outliers(acting_user=second, raise_record=draft, group=cases_group.key,
                                        note="手工更正的金额，按标准重算正确")  # fmt: skip
    with pytest.raises(ValidationError):  # one group is still pending: the district total
        services.raise_approve(acting_user=city_admin, raise_record=draft)
    services.raise_acknowledge_outliers(acting_user=second, raise_record=draft, group=keys[1], note="同上")
    approved = services.raise_approve(acting_user=city_admin, raise_record=draft)
    assert approved.status == RaiseStatus.APPROVED
    result = services.raise_apply(raise_id=draft.pk, acting_user=city_admin)
    assert result.cases_changed == 5


def test_an_edit_needs_a_new_acknowledgement(with_outlier, city_admin, make_user):
    progs, _normal, _outlier = with_outlier
    draft = _draft(city_admin, [progs["raise_urban_allowance"]])
    second = make_user("city_admin_2", "city_admin", "210200")
    for group in selectors.raise_preview(user=city_admin, raise_record=draft, with_check=True).check.groups:
        services.raise_acknowledge_outliers(acting_user=second, raise_record=draft, group=group.key, note="已核实")
    assert selectors.raise_preview(user=city_admin, raise_record=draft, with_check=True).check.pending == []
    services.raise_update(
        acting_user=city_admin, raise_record=draft, title=draft.title, programmes=[progs["raise_urban_allowance"]],
        components=["basic"], method="increase_amount", value=Decimal("20"), rounding="fen",
        effective_from=draft.effective_from,
    )  # fmt: skip
    draft.refresh_from_db()
    assert len(selectors.raise_preview(user=city_admin, raise_record=draft, with_check=True).check.pending) == 2
    with pytest.raises(ValidationError):
        services.raise_approve(acting_user=city_admin, raise_record=draft)


def test_the_rule_table_sets_the_factor(with_outlier, city_admin):
    progs, _normal, _outlier = with_outlier
    OutlierRule.objects.create(effective_from=f.BASE_DATE, case_factor=Decimal("200"),
                               district_above_percent=Decimal("1000"))  # fmt: skip
    draft = _draft(city_admin, [progs["raise_urban_allowance"]])
    check = selectors.raise_preview(user=city_admin, raise_record=draft, with_check=True).check
    assert check.thresholds.case_factor == 200 and check.groups == []
    assert services.raise_approve(acting_user=city_admin, raise_record=draft).status == RaiseStatus.APPROVED


def test_preview_page_lists_outliers_and_the_second_admin_acknowledges_there(client, with_outlier, city_admin,
                                                                           make_user):  # fmt: skip
    progs, _normal, _outlier = with_outlier
    draft = _draft(city_admin, [progs["raise_urban_allowance"]])
    url = reverse("raises:preview", args=[draft.pk])
    client.login(username=city_admin.username, password=TEST_PASSWORD)
    body = client.get(url).content.decode()
    assert 'id="implied-table"' in body and "王大伟" in body  # the outlier case is listed
    assert "须由另一位市局管理员确认" in body  # the author sees it pending, without a form
    assert 'name="note"' not in body
    second = make_user("city_admin_2", "city_admin", "210200")
    client.logout()
    client.login(username=second.username, password=TEST_PASSWORD)
    body = client.get(url).content.decode()
    assert body.count('name="note"') == 2
    groups = [g.key for g in selectors.raise_preview(user=second, raise_record=draft, with_check=True).check.groups]
    for group in groups:
        response = client.post(reverse("raises:acknowledge", args=[draft.pk]), {"group": group, "note": "已核实"})
        assert response.status_code == 302
    body = client.get(url).content.decode()
    assert 'name="note"' not in body and body.count("已核实") == 2
    client.logout()
    client.login(username=city_admin.username, password=TEST_PASSWORD)
    assert client.post(reverse("raises:approve", args=[draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert draft.status == RaiseStatus.APPROVED
