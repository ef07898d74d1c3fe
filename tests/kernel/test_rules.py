"""The kernel's versioned rule tables (core/rules.py): the version in force on a day, new versions only by the city
admin and never in the past, one page for every table (history, form that keeps input on error)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from assistance.raises.models import OutlierRule
from dalian_minzheng.core import rules
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _version(days: int, factor: str) -> OutlierRule:
    return OutlierRule.objects.create(effective_from=TODAY + dt.timedelta(days=days), case_factor=Decimal(factor))


def test_in_force_is_the_latest_version_on_or_before_the_day():
    old, current, future = _version(-400, "2"), _version(-10, "3"), _version(30, "4")
    assert list(OutlierRule.objects.in_force()) == [current]
    assert OutlierRule.current(on=TODAY - dt.timedelta(days=100)) == old
    assert OutlierRule.current(on=TODAY + dt.timedelta(days=30)) == future
    assert OutlierRule.current(on=TODAY - dt.timedelta(days=500)) is None
    # a plain queryset: filters chain after it
    assert not OutlierRule.objects.in_force().filter(case_factor=Decimal("2")).exists()


def test_only_the_city_admin_adds_versions_and_never_in_the_past(divisions, city_admin, district_admin, auditor):
    values = {"case_factor": Decimal("5"), "district_above_percent": Decimal("10"), "district_below_percent": None}
    for user in (district_admin, auditor):
        with pytest.raises(PermissionDenied):
            rules.rule_add_version(acting_user=user, model=OutlierRule, effective_from=TODAY, values=values)
    with pytest.raises(ValidationError, match="过去"):
        rules.rule_add_version(acting_user=city_admin, model=OutlierRule, effective_from=TODAY - dt.timedelta(days=1),
                               values=values)
    row = rules.rule_add_version(acting_user=city_admin, model=OutlierRule, effective_from=TODAY, values=values,
                                 note="测试")
    assert row.created_by == city_admin and OutlierRule.current() == row
    with pytest.raises(ValidationError, match="已有"):
        rules.rule_add_version(acting_user=city_admin, model=OutlierRule, effective_from=TODAY, values=values)
    assert OutlierRule.objects.count() == 1


def test_seed_defaults_is_idempotent():
    rows = [{"case_factor": Decimal("2"), "district_above_percent": Decimal("10")}]
    assert rules.seed_defaults(OutlierRule, rows, effective_from=dt.date(2019, 1, 1)) == 1
    assert rules.seed_defaults(OutlierRule, rows, effective_from=dt.date(2019, 1, 1)) == 0


def test_the_rule_pages(client, divisions, city_admin, caseworker):
    _version(-10, "3")
    client.login(username=caseworker.username, password=TEST_PASSWORD)
    listing = client.get(reverse("core:rule_list")).content.decode()
    assert "异常判定规则" in listing and reverse("core:rule_table", kwargs={"label": "raises.outlierrule"}) in listing
    page = client.get(reverse("core:rule_table", kwargs={"label": "raises.outlierrule"})).content.decode()
    assert "3.00" in page and "新增版本" not in page  # read-only for a caseworker
    assert client.get(reverse("core:rule_table", kwargs={"label": "people.person"})).status_code == 404

    client.login(username=city_admin.username, password=TEST_PASSWORD)
    url = reverse("core:rule_table", kwargs={"label": "raises.outlierrule"})
    bad = client.post(url, {"case_factor": "7", "district_above_percent": "10", "effective_from": "2001-01-01",
                            "note": "保留我的输入"})
    body = bad.content.decode()
    assert bad.status_code == 200 and "过去" in body and "保留我的输入" in body  # the input stays, the error is Chinese
    ok = client.post(url, {"case_factor": "7", "district_above_percent": "10",
                           "effective_from": (TODAY + dt.timedelta(days=5)).isoformat(), "note": "下月起"})
    assert ok.status_code == 302
    assert OutlierRule.current(on=TODAY + dt.timedelta(days=5)).case_factor == Decimal("7")
    assert OutlierRule.current().case_factor == Decimal("3")  # today's rule is untouched
