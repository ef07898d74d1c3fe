"""Monthly payment rosters: the list (with the build button), one roster, its bank file."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from assistance import forms, selectors, services, tasks
from assistance.models import (
    PaymentRoster,
)
from assistance.views.common import (
    _page,
)
from dalian_minzheng.accounts.models import Role
from dalian_minzheng.accounts.policy import ADMINS, access
from dalian_minzheng.audit.models import AccessKind
from dalian_minzheng.audit.services import record_access

# --- payment rosters ------------------------------------------------------------------------------------------


ROSTER_READERS = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.AUDITOR})


@access(roles=ROSTER_READERS, write_roles=ADMINS)
def roster_list(request):
    form = forms.RosterBuildForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        month = form.cleaned_data["month"].replace(day=1)
        district = form.cleaned_data["district"]
        if not selectors.can_build_roster(user=request.user, district_code=district):
            raise PermissionDenied
        user_id = request.user.pk
        transaction.on_commit(lambda: tasks.build_roster.delay(month.isoformat(), district, user_id))
        messages.success(request, _("The roster is being built; reload in a moment."))
        return redirect("assistance:roster_list")
    month_param = request.GET.get("month")
    try:
        month = dt.date.fromisoformat(month_param + "-01") if month_param else None
    except ValueError:
        month = None
    context = {
        "form": form,
        "rosters": _page(request, selectors.rosters(user=request.user)),
        "month": month,
        "totals": selectors.month_totals(user=request.user, month=month) if month else [],
        "can_build": request.user.is_superuser or request.user.role in ADMINS,
    }
    return render(request, "assistance/roster_list.html", context)


@access(roles=ROSTER_READERS, model=PaymentRoster)
def roster_detail(request, pk: int):
    roster = selectors.roster_get(user=request.user, pk=pk)
    page = _page(request, selectors.roster_payments(roster=roster))
    return render(
        request,
        "assistance/roster_detail.html",
        {"roster": roster, "totals": selectors.roster_totals(roster=roster), "page": page},
    )


@access(roles=ROSTER_READERS, model=PaymentRoster)
def roster_export(request, pk: int):
    """The bank file: full ID numbers (the bank needs them), so only admins and the auditor, and the export is
    recorded in the access log."""
    roster = selectors.roster_get(user=request.user, pk=pk)
    buffer = io.BytesIO()
    rows = services.write_roster_xlsx(roster=roster, target=buffer)
    record_access(
        user=request.user,
        kind=AccessKind.EXPORT,
        obj=roster,
        detail={"kind": "assistance.roster_bank", "month": f"{roster.month:%Y-%m}", "district": roster.district_id},
        row_count=rows,
        request=request,
    )
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="roster-{roster.district_id}-{roster.month:%Y-%m}.xlsx"'
    return response
