"""Pages of the case and application lists, read as plain rows.

A list page is the hottest read of casework (67,000 cases city-wide): it runs exactly two queries whatever the page
or filter — the exact count (an index-only scan of the case indexes) and one statement that picks the page's ids
from the filtered, ordered list (OFFSET over ids only) and joins just those rows (a deferred join) — and renders
rows whose display values are computed here once, so the template does no per-row lookups, URL reversing,
translation or date formatting (these were most of the page's CPU time; see BENCHMARKS.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet, Subquery
from django.urls import reverse

from dalian_minzheng.people import idnumbers

PAGE_SIZE = 50


@dataclass
class ListPage:
    """What `_pager.html` and a list template need from a page (the same names as Django's Page/Paginator)."""

    rows: list[dict]
    number: int
    per_page: int
    count: int
    num_pages: int = field(init=False)

    def __post_init__(self):
        self.num_pages = max(1, -(-self.count // self.per_page))

    @property
    def paginator(self) -> ListPage:
        return self

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


def page_number(raw) -> int:
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return 1


def read_page(queryset: QuerySet, *, number: int, fields: list[str], order: list[str], per_page: int = PAGE_SIZE):
    """(count, rows as dicts of `fields`, the page number actually shown); a page past the end shows the last."""
    count = queryset.order_by().count()
    last = max(1, -(-count // per_page))
    number = min(number, last)
    bottom = (number - 1) * per_page
    ids = queryset.order_by(*order).values("pk")[bottom : bottom + per_page]
    rows = list(queryset.model._base_manager.filter(pk__in=Subquery(ids)).order_by(*order).values(*fields))
    return count, rows, number


def detail_url_pattern(viewname: str) -> str:
    """'/…/{}/' for a detail view taking a pk: one reverse() per page instead of one per row."""
    marker = 987654321
    return reverse(viewname, args=[marker]).replace(str(marker), "{}", 1)


def iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def masked(number: str | None) -> str:
    return idnumbers.mask(number)
