"""What the casework pages share: the role set of the workflow buttons, pagination, the division suggestions."""

from __future__ import annotations

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.utils.html import format_html_join

from assistance import selectors
from dalian_minzheng.accounts.models import Role
from dalian_minzheng.accounts.scope import scope_prefix

CASEWORK = frozenset({Role.CASEWORKER, Role.DISTRICT_ADMIN})


def _exports_available() -> bool:
    """The spreadsheet engine's export button, once the engine has registered assistance's export kinds."""
    try:
        from dalian_minzheng.spreadsheets.exports import get_export

        get_export("assistance.cases")
    except (ImportError, KeyError):
        return False
    return True


PAGE_SIZE = 50


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


class DeferredJoinPaginator(Paginator):
    """Pages of a joined list without joining the rows that are skipped: the page's ids come first from the
    filtered, ordered query (OFFSET over ids only), then the 50 rows with their joins. One query more, constant."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.object_list.filter(pk__in=ids)} if ids else {}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def _page(request, queryset):
    paginator = DeferredJoinPaginator(queryset, PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def _division_options(user) -> str:
    """The division filter's suggestions as <option>s for the user's scope, cached as HTML:
    building 160 of them cost 2 ms a page, more than the rest of the form."""
    prefix = scope_prefix(user)
    if prefix is None:
        return ""
    key = selectors.division_options_key(prefix)
    html = cache.get(key)
    if html is None:
        choices = selectors.division_filter_choices(prefix=prefix)
        html = format_html_join("", '<option value="{}">{}</option>', choices)
        # an hour: apps.py clears it when a division is saved, and set-based division imports wait at most that
        cache.set(key, html, 3600)
    return html


def _querystring(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
