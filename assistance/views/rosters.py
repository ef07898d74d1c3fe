"""Monthly payment rosters: the list (with the build button), one roster, its bank file."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
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
from dalian_minzheng.accounts.scope import may
from dalian_minzheng.audit.models import AccessKind
from dalian_minzheng.audit.services import record_access
from dalian_minzheng.spreadsheets.writers import Sheet, write_workbook

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
        "can_build": may(request.user, roles=ADMINS),
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


# --- reconciliation (issue 12) ----------------------------------------------------------------------------------


def _reconciliation_params(request):
    from assistance import reconciliation

    districts = reconciliation.districts_for(user=request.user)
    district = request.GET.get("district") or (districts[0][0] if districts else "")
    try:
        month = dt.date.fromisoformat((request.GET.get("month") or "") + "-01")
    except ValueError:
        month = None
    return districts, district, month


@access(roles=ROSTER_READERS)
def roster_reconciliation(request):
    """Per district and month: roster total = cases' amounts − stops + back pay, differences case by case."""
    from assistance import reconciliation

    districts, district, month = _reconciliation_params(request)
    result = reconciliation.reconcile(user=request.user, district=district, month=month) if month else None
    return render(
        request,
        "assistance/roster_reconciliation.html",
        {"districts": districts, "district": district, "month": month, "result": result},
    )


@access(roles=ROSTER_READERS)
def roster_reconciliation_export(request):
    from assistance import reconciliation

    _districts, district, month = _reconciliation_params(request)
    month = month or timezone.localdate().replace(day=1)  # no month chosen: this month's roster
    result = reconciliation.reconcile(user=request.user, district=district, month=month)
    summary = [
        (_("District"), f"{result.district_name} ({result.district})"),
        (_("Month"), f"{result.month:%Y-%m}"),
        (_("Cases' amounts"), result.cases_total),
        (_("Stops"), -result.stops_total),
        (_("Back pay"), result.back_pay_total),
        (_("Expected total"), result.expected),
        (_("Roster total"), result.roster_total),
        (_("Difference"), result.difference),
    ]
    headers = [_("Division"), _("Head of household"), _("ID number"), _("Programme"), _("Expected"), _("Roster"),
               _("Difference"), _("Why")]  # fmt: skip
    differences = [
        [d.division_id, d.name, d.id_number, d.programme, d.expected, d.paid, d.difference, str(d.why_label)]
        for d in result.differences
    ]
    buffer = io.BytesIO()
    write_workbook(
        buffer,
        [
            Sheet(
                _("Reconciliation"),
                [],
                [(str(label), value) for label, value in summary],
                widths=[24, 24],
                label_column=True,
            ),
            Sheet(_("Differences"), headers, differences, widths=[14, 12, 22, 14, 12, 12, 12, 40]),
        ],
    )
    record_access(
        user=request.user,
        kind=AccessKind.EXPORT,
        obj=result.roster,
        detail={"kind": "assistance.roster_reconciliation", "month": f"{month:%Y-%m}", "district": district},
        row_count=len(result.differences),
        request=request,
    )
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="reconciliation-{district}-{month:%Y-%m}.xlsx"'
    return response
