"""Reads for the public pages. The data comes from the masked public selectors of `assistance.selectors`
(values querysets that never carry a full name or an ID number); this module adds the division choices and the
paging the pages need."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from assistance import selectors as assistance_selectors
from dalian_minzheng.people.models import Division, DivisionLevel

# The only columns a public page may show; anything else a selector returns is dropped here.
PUBLIC_FIELDS = ("masked_name", "household_size", "amount", "programme_name", "community_name", "community_code")
NOTICE_FIELDS = PUBLIC_FIELDS + ("starts_on", "ends_on")


def community(code: str) -> Division:
    try:
        return Division.objects.select_related("parent__parent").get(
            code=code, level=DivisionLevel.COMMUNITY, is_active=True
        )
    except Division.DoesNotExist:
        raise Http404 from None


def notices_for_community(code: str, on: dt.date | None = None) -> list[dict]:
    rows = assistance_selectors.public_notices_for_community(code, on=on)
    return [{k: row[k] for k in NOTICE_FIELDS if k in row} for row in rows]


@dataclass
class RecipientPage:
    rows: list[dict]
    number: int
    size: int
    count: int

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.count else 0


def _recipients(prefix: str | None, search: str | None) -> QuerySet:
    return assistance_selectors.public_recipients(community_code=prefix or None, search=search or None)


def recipient_page(*, prefix: str | None = None, search: str | None = None, page: int = 1, size: int = 50):
    """One page of masked recipients. Ordered by community then case, which the (division_id, id) order of the
    selector gives; the count and the page are two queries."""
    qs = _recipients(prefix, search)
    count = qs.count()
    num_pages = max(1, -(-count // size))
    page = min(max(1, page), num_pages)
    offset = (page - 1) * size
    rows = [{k: row[k] for k in PUBLIC_FIELDS} for row in qs[offset : offset + size]]
    return RecipientPage(rows=rows, number=page, size=size, count=count)


def districts() -> QuerySet[Division]:
    return Division.objects.filter(level=DivisionLevel.DISTRICT, is_active=True).order_by("code")


def children(code: str | None, level: int) -> QuerySet[Division]:
    if not code:
        return Division.objects.none()
    return Division.objects.filter(parent_id=code, level=level, is_active=True).order_by("code")
