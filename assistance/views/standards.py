"""The city admin's standards, bands and working-day overrides."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from assistance import forms, selectors, services
from assistance.models import (
    WorkdayOverride,
)
from assistance.views.common import (
    _errors,
)
from dalian_minzheng.accounts.policy import ALL_ROLES, CITY, access
from dalian_minzheng.accounts.scope import may

# --- standards and working days -------------------------------------------------------------------------------


@access(roles=ALL_ROLES, write_roles=CITY)
def standard_list(request):
    form = forms.StandardForm(request.POST or None, prefix="std") if request.method == "POST" else None
    band_form = None
    if request.method == "POST" and request.POST.get("kind") == "band":
        band_form = forms.BandForm(request.POST, prefix="band")
        form = None
        if band_form.is_valid():
            data = band_form.cleaned_data
            try:
                services.band_create(
                    acting_user=request.user,
                    programme_id=data["programme"].pk,
                    effective_from=data["effective_from"],
                    income_below=data["income_below"],
                    amount=data["amount"],
                    division_code=data["division"] or None,
                )
            except ValidationError as exc:
                band_form.add_error(None, _errors(exc))
            else:
                messages.success(request, _("Band added."))
                return redirect("assistance:standard_list")
    elif form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            services.standard_create(
                acting_user=request.user,
                programme_id=data["programme"].pk,
                amount=data["amount"],
                effective_from=data["effective_from"],
                division_code=data["division"] or None,
                care_level=data["care_level"],
                base_programme_id=data["base_programme"].pk if data["base_programme"] else None,
                multiplier=data["multiplier"],
                note=data["note"],
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("Standard added."))
            return redirect("assistance:standard_list")
    programme_id = request.GET.get("programme")
    division = request.GET.get("division") or None
    context = {
        "standards": selectors.standards(
            programme_id=int(programme_id) if programme_id and programme_id.isdigit() else None,
            division_code=division,
        ),
        "bands": selectors.bands(),
        "programmes": selectors.programmes(),
        "form": form or forms.StandardForm(prefix="std"),
        "band_form": band_form or forms.BandForm(prefix="band"),
        "can_edit": may(request.user, roles=CITY),
    }
    return render(request, "assistance/standard_list.html", context)


@access(roles=ALL_ROLES, write_roles=CITY)
def workday_list(request):
    form = forms.WorkdayOverrideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.workday_override_set(acting_user=request.user, **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("assistance:workday_list")
    return render(
        request,
        "assistance/workday_list.html",
        {
            "form": form,
            "overrides": WorkdayOverride.objects.order_by("-date")[:200],
            "can_edit": may(request.user, roles=CITY),
        },
    )
