"""Reads for the public pages. The data comes from the masked public selectors of `assistance.selectors`
(values querysets that never carry a full name or an ID number); this module adds the division choices and the
paging the pages need."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Max, Q, QuerySet
from django.http import Http404

from assistance import selectors as assistance_selectors
from assistance.models import Case
from dalian_minzheng.people.models import Division, DivisionLevel

# The only columns a public page may show; anything else a selector returns is dropped here.
PUBLIC_FIELDS = ("masked_name", "household_size", "amount", "programme_name", "community_name", "community_code")
NOTICE_FIELDS = PUBLIC_FIELDS + ("starts_on", "ends_on")
PAGE_STARTS_TTL = 300  # seconds; as long as a browser or proxy may keep a page (views.MAX_AGE)


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


def _ordering_keys(prefix: str | None, search: str | None) -> QuerySet:
    """The rows of `public_recipients` with the same filters, on the case table alone: its joins (programme,
    division, application, applicant) follow NOT NULL foreign keys and only add columns, so they never change which
    rows there are — but they cost a join over every recipient when all we need is a count or the order keys.
    A test keeps the two in step."""
    qs = Case.objects.filter(status__in=assistance_selectors.PAID_STATUSES)
    if prefix:
        qs = qs.filter(division__code__startswith=prefix)
        if prefix.isdigit():
            # The same rows as a range, which the plain division index can both seek and return in order
            # (a LIKE is only a filter on it), so a community's first page reads that community, not the index.
            upper = str(int(prefix) + 1).zfill(len(prefix))
            qs = qs.filter(division__code__gte=prefix, division__code__lt=upper)
    if search:
        qs = qs.filter(division__name__contains=search.strip())
    return qs


def _page_starts(qs: QuerySet, *, count: int, top: int, size: int) -> list[tuple[str, int]]:
    """(community code, case id) of the first row of every page, in display order; cached for the pages' lifetime.

    A page is then a keyset read from its start, so page 1,000 costs what page 1 costs instead of an OFFSET that
    walks every row before it. Computing the starts is one window query over the ids (no names); the key holds
    the row count and the highest case id, so an approval or a stop makes a new key rather than serving stale
    pages (a stop and a re-activation that cancel out keep the old starts for at most PAGE_STARTS_TTL).
    """
    sql, params = qs.order_by().values_list("division_id", "id").query.sql_with_params()
    digest = hashlib.sha1(f"{sql}|{params}".encode()).hexdigest()[:16]
    key = f"public:pagestarts:{digest}:{count}:{top}:{size}"
    starts = cache.get(key)
    if starts is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT code, id FROM (SELECT s.code, s.id, row_number() OVER (ORDER BY s.code, s.id) AS rn"
                f" FROM ({sql}) AS s (code, id)) AS numbered WHERE (rn - 1) %% %s = 0 ORDER BY rn",
                [*params, size],
            )
            starts = [(code, pk) for code, pk in cursor.fetchall()]
        cache.set(key, starts, PAGE_STARTS_TTL)
    return starts


def recipient_page(*, prefix: str | None = None, search: str | None = None, page: int = 1, size: int = 50):
    """One page of masked recipients, ordered by community and then by case, with a count.

    Queries: the count (an index-only scan of the case status index), the highest case id (one index probe), the
    page's 50 case ids from the case table alone (keyset from the cached page start, so the joins never run over a
    whole community or city), then the masked rows of those 50 ids through the public selector. Plus one window
    query when the page starts are not cached.
    """
    qs = _recipients(prefix, search)
    keys = _ordering_keys(prefix, search)
    count = keys.count()
    num_pages = max(1, -(-count // size))
    page = min(max(1, page), num_pages)
    if count == 0:
        return RecipientPage(rows=[], number=1, size=size, count=0)
    window = keys
    if page > 1:
        # any new case raises the highest id, so a new key (and fresh page starts) follows every approval
        top = Case.objects.aggregate(top=Max("id"))["top"] or 0
        code, pk = _page_starts(keys, count=count, top=top, size=size)[page - 1]
        # the redundant `code >= …` lets PostgreSQL start the division index scan at the page's first community
        window = keys.filter(division__code__gte=code).filter(Q(division__code__gt=code) | Q(id__gte=pk))
    ids = list(window.order_by("division_id", "id").values_list("id", flat=True)[:size])
    rows = [{k: row[k] for k in PUBLIC_FIELDS} for row in qs.filter(id__in=ids).order_by("division_id", "id")]
    return RecipientPage(rows=rows, number=page, size=size, count=count)


def districts() -> QuerySet[Division]:
    return Division.objects.filter(level=DivisionLevel.DISTRICT, is_active=True).order_by("code")


def children(code: str | None, level: int) -> QuerySet[Division]:
    if not code:
        return Division.objects.none()
    return Division.objects.filter(parent_id=code, level=level, is_active=True).order_by("code")
