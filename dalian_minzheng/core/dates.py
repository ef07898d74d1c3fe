"""Calendar arithmetic the rules use ("2 full years", "6 months at 31 December"): the same day so many years or months
later, clamped to the month's last day (29 February + 1 year is 28 February), as PostgreSQL's interval arithmetic."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: dt.date, years: int) -> dt.date:
    return add_months(day, 12 * years)
