"""The shapes every register's pages share: a paged list that keeps its filters, and a POST on a record's page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from dalian_minzheng.people.forms import attach_service_errors

PAGE_SIZE = 50


def paginate(request, queryset, size: int = PAGE_SIZE):
    """The page asked for and the query string without `page` (the pager's links keep the filters)."""
    page = Paginator(queryset, size).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def page_action(request, record, *, page: str, template: str, context, form_class, form_name: str, run,
                success=None, form_kwargs=None):  # fmt: skip
    """The shape of every POST on a record's page: validate the form, call the service, back to the page (or where
    `run` says); a refused form re-renders the page with the user's input and the Chinese reason (400)."""
    if request.method != "POST":
        return redirect(page, pk=record.pk)
    form = form_class(request.POST, request.FILES, **(form_kwargs or {}))
    if form.is_valid():
        try:
            target = run(record, form)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, success or _("Saved."))
            return redirect(target or reverse(page, kwargs={"pk": record.pk}))
    return render(request, template, context(request, record, **{form_name: form}), status=400)
