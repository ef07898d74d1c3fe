"""Working-day arithmetic on the official calendar: the chinese-calendar package (holidays and make-up workdays
announced by the State Council) plus `WorkdayOverride` rows an admin edits for years the package does not know yet.

For a year that neither knows, Monday–Friday are working days (and the admin is expected to add the holidays).

Every register's deadlines come from here. The override table stays `assistance.WorkdayOverride` (read lazily
below): it is audited, and pghistory's trigger ids and event table are derived from the app label, so moving its
state into the kernel would drop and recreate the triggers and move the event history for no change in behaviour.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar

ONE_DAY = dt.timedelta(days=1)


def _overrides(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    from assistance.models import WorkdayOverride  # late: the kernel loads before the apps (see the docstring)

    return dict(WorkdayOverride.objects.filter(date__range=(start, end)).values_list("date", "is_workday"))


def _package_is_workday(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def is_workday(day: dt.date) -> bool:
    override = _overrides(day, day)
    if day in override:
        return override[day]
    return _package_is_workday(day)


def add_workdays(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (start itself not counted): accepted on day 0, due on day N."""
    if days < 0:
        raise ValueError("days must be >= 0")
    # Generous window for one query: 45 working days never span more than ~80 calendar days, even over 春节.
    window_end = start + dt.timedelta(days=days * 2 + 30)
    overrides = _overrides(start, window_end)
    day = start
    counted = 0
    while counted < days:
        day += ONE_DAY
        if day > window_end:
            overrides.update(_overrides(day, day + dt.timedelta(days=60)))
            window_end = day + dt.timedelta(days=60)
        workday = overrides[day] if day in overrides else _package_is_workday(day)
        if workday:
            counted += 1
    return day


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    if end <= start:
        return 0
    overrides = _overrides(start, end)
    count = 0
    day = start + ONE_DAY
    while day <= end:
        if overrides[day] if day in overrides else _package_is_workday(day):
            count += 1
        day += ONE_DAY
    return count
