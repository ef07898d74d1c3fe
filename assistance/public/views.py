"""Public pages, no login: the community notice board (公示) and the city's online disclosure of recipients.

They show masked names, household sizes and amounts only. They are rendered without the request context (no
session, no CSRF token, no user), so the HTML is the same for everybody and shared caches may keep it.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import conditional_page, require_safe

from assistance.public import selectors
from dalian_minzheng.accounts.policy import access
from dalian_minzheng.people.models import DivisionLevel

PAGE_SIZE = 50
COMMUNITY_PAGE_SIZE = 100
MAX_AGE = 300  # seconds a browser or proxy may reuse a page; the lists change at most daily

_CODE = re.compile(r"^\d{6}(\d{3}){0,2}$")


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


def _public_response(request, template: str, context: dict) -> HttpResponse:
    session = getattr(request, "session", None)
    if session is not None and not session.modified:
        # The audit middleware looks at request.user on every request, which marks the session as read and makes
        # SessionMiddleware add "Vary: Cookie". These pages never depend on the session, so say so, and shared
        # caches may serve one copy to everybody.
        session.accessed = False
    return HttpResponse(render_to_string(template, context))


@access(public=True)
@require_safe
@conditional_page
@cache_control(public=True, max_age=MAX_AGE)
def community_notice(request, code: str):
    community = selectors.community(code)
    page = selectors.recipient_page(
        prefix=community.code, page=_page_number(request.GET.get("page")), size=COMMUNITY_PAGE_SIZE
    )
    return _public_response(
        request,
        "public_notice/community.html",
        {
            "community": community,
            "street": community.parent,
            "district": community.parent.parent if community.parent else None,
            "notices": selectors.notices_for_community(community.code),
            "page": page,
            "today": timezone.localdate(),
        },
    )


@access(public=True)
@require_safe
@conditional_page
@cache_control(public=True, max_age=MAX_AGE)
def disclosure_index(request):
    get = request.GET
    district = get.get("district", "")
    street = get.get("street", "")
    community = get.get("community", "")
    # each level only counts when it lies under the one above, so a stale drop-down never widens the search
    district = district if _CODE.match(district) and len(district) == 6 else ""
    street = street if district and len(street) == 9 and street.startswith(district) else ""
    community = community if street and len(community) == 12 and community.startswith(street) else ""
    prefix = community or street or district or None
    search = (get.get("q") or "").strip()[:30]
    page = selectors.recipient_page(
        prefix=prefix, search=search or None, page=_page_number(get.get("page")), size=PAGE_SIZE
    )
    params = {
        k: v for k, v in (("district", district), ("street", street), ("community", community), ("q", search)) if v
    }
    return _public_response(
        request,
        "public_notice/index.html",
        {
            "page": page,
            "districts": selectors.districts(),
            "streets": selectors.children(district, DivisionLevel.STREET),
            "communities": selectors.children(street, DivisionLevel.COMMUNITY),
            "district": district,
            "street": street,
            "community": community,
            "q": search,
            "query": urlencode(params),
            # one reverse() for the page instead of one per row
            "community_url": reverse("public_notice:index"),
        },
    )
