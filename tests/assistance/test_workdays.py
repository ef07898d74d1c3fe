"""Working-day deadlines on the official calendar, across the Spring Festival and make-up working days."""

from __future__ import annotations

import datetime as dt

import pytest

from assistance import services
from assistance.models import WorkdayOverride
from dalian_minzheng.core import workdays

D = dt.date


def test_spring_festival_2025_and_make_up_workdays(db):
    # 2025: holiday 01-28 .. 02-04; Sunday 01-26 and Saturday 02-08 were working days.
    assert workdays.is_workday(D(2025, 1, 26))
    assert workdays.is_workday(D(2025, 2, 8))
    assert not workdays.is_workday(D(2025, 1, 28))
    assert not workdays.is_workday(D(2025, 2, 4))
    # Friday 01-24 + 1 working day is Sunday 01-26 (make-up day), not Monday
    assert workdays.add_workdays(D(2025, 1, 24), 1) == D(2025, 1, 26)
    # Monday 01-27 + 1 jumps the whole holiday to Wednesday 02-05
    assert workdays.add_workdays(D(2025, 1, 27), 1) == D(2025, 2, 5)
    # the 3-day check start: accepted Friday 01-24 → 01-26, 01-27, 02-05
    assert workdays.add_workdays(D(2025, 1, 24), services.DAYS_CHECK_START) == D(2025, 2, 5)
    # 10 working days from 02-05: 02-06, 02-07, 02-08 (Sat, worked), 02-10 .. 02-14, 02-17, 02-18
    assert workdays.add_workdays(D(2025, 2, 5), services.DAYS_DECISION) == D(2025, 2, 18)
    assert workdays.workdays_between(D(2025, 1, 24), D(2025, 2, 8)) == 6  # 1-26, 1-27, 2-05..2-08


def test_thirty_working_days_across_spring_festival(db):
    # Accepted Monday 2025-01-20: 01-21..01-24 (4), 01-26, 01-27 (6), 02-05..02-08 (10), then 4 weeks of 5 → 30
    # lands on Friday 03-07.
    assert workdays.add_workdays(D(2025, 1, 20), 30) == D(2025, 3, 7)
    assert workdays.add_workdays(D(2025, 1, 20), 45) == D(2025, 3, 28)


def test_override_table_for_a_year_the_package_does_not_know(db):
    # 2027 is beyond the package: Monday-Friday by default …
    assert workdays.add_workdays(D(2027, 2, 5), 1) == D(2027, 2, 8)
    # … until the admin enters the announced holiday and make-up day.
    WorkdayOverride.objects.create(date=D(2027, 2, 8), is_workday=False, note="春节")
    WorkdayOverride.objects.create(date=D(2027, 2, 6), is_workday=True, note="调休上班")
    assert workdays.add_workdays(D(2027, 2, 5), 1) == D(2027, 2, 6)
    assert workdays.add_workdays(D(2027, 2, 5), 2) == D(2027, 2, 9)
    assert not workdays.is_workday(D(2027, 2, 8))


def test_override_wins_over_the_package(db):
    WorkdayOverride.objects.create(date=D(2025, 3, 3), is_workday=False, note="test")
    assert workdays.add_workdays(D(2025, 2, 28), 1) == D(2025, 3, 4)


def test_negative_days_rejected(db):
    with pytest.raises(ValueError):
        workdays.add_workdays(D(2025, 1, 1), -1)


def test_city_admin_edits_overrides_in_the_ui(client, city_admin, caseworker):
    from django.urls import reverse

    from tests.conftest import TEST_PASSWORD

    client.login(username=caseworker.username, password=TEST_PASSWORD)
    url = reverse("assistance:workday_list")
    assert client.post(url, {"date": "2027-10-01", "is_workday": "0"}).status_code == 403
    client.login(username=city_admin.username, password=TEST_PASSWORD)
    assert client.post(url, {"date": "2027-10-01", "is_workday": "0", "note": "国庆节"}).status_code == 302
    assert WorkdayOverride.objects.get(date=D(2027, 10, 1)).is_workday is False
