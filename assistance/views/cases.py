"""Case and review pages; the case page's two buttons (open a review, stop) post back to it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance import forms, listing, selectors, services
from assistance.models import (
    Case,
    CaseReview,
    ReviewOutcome,
)
from assistance.views.common import (
    CASEWORK,
    _division_options,
    _errors,
    _exports_available,
    _page,
    _querystring,
)
from dalian_minzheng.accounts.policy import ALL_ROLES, access

# --- cases ----------------------------------------------------------------------------------------------------


@access(roles=ALL_ROLES)
def case_list(request):
    form = forms.CaseFilterForm(request.GET or None)
    page = selectors.case_page(
        user=request.user, filters=forms.list_filters(form), number=listing.page_number(request.GET.get("page"))
    )
    return render(
        request,
        "assistance/case_list.html",
        {
            "form": form,
            "page": page,
            "division_options": _division_options(request.user),
            "querystring": _querystring(request),
            "today": timezone.localdate(),
            "export_available": _exports_available(),
        },
    )


@access(roles=ALL_ROLES, write_roles=CASEWORK, model=Case)
def case_detail(request, pk: int):
    case = selectors.case_get(user=request.user, pk=pk)
    form = forms.ReasonForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if not form.is_valid():
                raise ValidationError(_("Give the reason."))
            if action == "review":
                services.case_open_review(
                    case_id=pk, reason=form.cleaned_data["reason"], acting_user=request.user, trigger="change_reported"
                )
            elif action == "stop":
                services.case_stop(case_id=pk, acting_user=request.user, reason=form.cleaned_data["reason"])
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as exc:
            form.add_error(None, _errors(exc))  # shown again with what was typed
        else:
            messages.success(request, _("Saved."))
            return redirect("assistance:case_detail", pk=pk)
    amounts = list(selectors.case_amount_history(case=case))
    context = {
        "case": case,
        "application": case.application,
        "timeline": selectors.application_timeline(application=case.application),
        "amounts": amounts,
        "amount_basis": selectors.case_amount_basis(case=case, history=amounts),
        "reviews": selectors.case_reviews(case=case),
        "payments": case.payments.order_by("-month")[:24],
        "reason_form": form,
    }
    return render(request, "assistance/case_detail.html", context)


@access(roles=ALL_ROLES)
def review_list(request):
    on = timezone.localdate()
    page = _page(request, selectors.reviews_due(user=request.user, on=on))
    return render(request, "assistance/review_list.html", {"page": page, "today": on})


@access(roles=ALL_ROLES, write_roles=CASEWORK, model=CaseReview)
def review_detail(request, pk: int):
    review = selectors.review_get(user=request.user, pk=pk)
    case = selectors.case_get(user=request.user, pk=review.case_id)
    form = forms.ReviewDecisionForm(
        request.POST or None,
        initial={"household_size": case.household_size, "income_per_capita": case.monthly_income_per_capita},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.case_decide_review(
                review_id=pk,
                acting_user=request.user,
                outcome=data["outcome"],
                reason=data["reason"],
                household_size=data["household_size"],
                income_per_capita=data["income_per_capita"],
                new_amount=data["new_amount"],
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("Review decided."))
            return redirect("assistance:case_detail", pk=case.pk)
    return render(
        request,
        "assistance/review_detail.html",
        {"review": review, "case": case, "form": form, "outcomes": ReviewOutcome},
    )
