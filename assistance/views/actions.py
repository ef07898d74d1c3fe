"""The workflow buttons of the application page: one POST view per step, each calling its service (which checks
role and state) through `_action`. `application_action` is the older single endpoint (`action=` in the form): it
hands the request to the step's view, so links and clients that post there keep working."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assistance import forms, selectors, services
from assistance.models import Application, NoticeStatus
from assistance.views.applications import _render_application
from assistance.views.common import CASEWORK, _errors
from dalian_minzheng.accounts.policy import DECISION_ROLES, access


def _action(
    request,
    pk: int,
    run: Callable[[Application, dict], object],
    *,
    form_class=None,
    form_name: str = "",
    invalid: str | None = None,
):
    """Shared shape of the steps: load the application scoped (404 elsewhere), validate the step's form (`invalid`
    is the message when it does not validate; None: the service decides), call the service (`run(application,
    cleaned_data)`), redirect to the page.
    A refused step with a page form of its own (`form_name`) shows the page again with that form bound to what was
    typed; otherwise the refusal is a message."""
    application = selectors.application_get(user=request.user, pk=pk)
    form = form_class(request.POST) if form_class is not None else None
    try:
        if form is not None and not form.is_valid() and invalid is not None:
            raise ValidationError(invalid)
        response = run(application, form.cleaned_data if form is not None else {})
    except ValidationError as exc:
        if form is not None and form_name:
            form.add_error(None, _errors(exc))
            return _render_application(request, application, **{form_name: form})
        messages.error(request, _errors(exc))
    else:
        if isinstance(response, HttpResponse):  # a step that goes elsewhere (approval opens the case)
            return response
        messages.success(request, _("Saved."))
    return redirect("assistance:application_detail", pk=pk)


def _step(view=None, *, write_roles=CASEWORK):
    """A workflow step: POST only, by `write_roles` (caseworkers and district admins; the decision steps the
    district admin alone), on one application in the user's area."""

    def wrap(view):
        return require_POST(access(roles=CASEWORK, write_roles=write_roles, model=Application)(view))

    return wrap(view) if view is not None else wrap


@_step
def application_documents(request, pk: int):
    return _action(
        request,
        pk,
        lambda a, d: services.application_update_documents(
            application_id=a.pk, acting_user=request.user, missing_documents=d.get("missing", [])
        ),
        form_class=forms.DocumentsForm,
        form_name="documents_form",
    )


@_step
def application_first_review(request, pk: int):
    return _action(
        request,
        pk,
        lambda a, d: services.application_first_review(
            application_id=a.pk,
            acting_user=request.user,
            opinion=d["opinion"],
            recommend_approval=d["recommend"] == "approve",
        ),
        form_class=forms.FirstReviewForm,
        form_name="first_review_form",
        invalid=_("Write the first review opinion."),
    )


@_step
def application_notice(request, pk: int):
    return _action(request, pk, lambda a, d: services.notice_start(application_id=a.pk, acting_user=request.user))


def _record_objection(request, application: Application, data: dict) -> None:
    notice = application.notices.filter(status=NoticeStatus.OPEN).order_by("-id").first()
    if notice is None:
        raise ValidationError(_("Write down the objection."))
    services.notice_record_objection(
        notice_id=notice.pk, acting_user=request.user, content=data["content"], received_on=data["received_on"]
    )


@_step
def application_objection(request, pk: int):
    return _action(
        request,
        pk,
        lambda a, d: _record_objection(request, a, d),
        form_class=forms.ObjectionForm,
        form_name="objection_form",
        invalid=_("Write down the objection."),
    )


def _resolve_objection(request, application: Application, data: dict) -> None:
    if not application.notices.filter(objections__id=data["objection"]).exists():
        raise PermissionDenied
    services.objection_resolve(
        objection_id=data["objection"], acting_user=request.user, outcome=data["outcome"], note=data["note"]
    )


@_step
def application_resolve(request, pk: int):
    # an objection's outcome is a small form per objection: its errors go to a message
    return _action(
        request,
        pk,
        lambda a, d: _resolve_objection(request, a, d),
        form_class=forms.ObjectionResolveForm,
        invalid=_("Choose an outcome and write down the reasons."),
    )


@_step
def application_submit(request, pk: int):
    return _action(request, pk, lambda a, d: services.application_submit(application_id=a.pk, acting_user=request.user))


@_step
def application_extend(request, pk: int):
    return _action(
        request,
        pk,
        lambda a, d: services.application_extend(application_id=a.pk, acting_user=request.user, reason=d["reason"]),
        form_class=forms.ReasonForm,
        form_name="reason_form",
        invalid=_("Give the reason."),
    )


@_step
def application_withdraw(request, pk: int):
    return _action(
        request,
        pk,
        lambda a, d: services.application_withdraw(application_id=a.pk, acting_user=request.user, reason=d["reason"]),
        form_class=forms.ReasonForm,
        form_name="reason_form",
        invalid=_("Give the reason."),
    )


def _approve(request, application: Application, data: dict) -> HttpResponse:
    case = services.application_approve(
        application_id=application.pk,
        acting_user=request.user,
        amount=data["amount"],
        unstable_income=data["unstable_income"],
        bank_name=data["bank_name"],
        bank_account=data["bank_account"],
    )
    messages.success(request, _("Approved: %(amount)s yuan per month.") % {"amount": case.monthly_amount})
    return redirect("assistance:case_detail", pk=case.pk)


@_step(write_roles=DECISION_ROLES)
def application_approve(request, pk: int):
    return _action(
        request,
        pk,
        lambda a, d: _approve(request, a, d),
        form_class=forms.ApproveForm,
        form_name="approve_form",
        invalid=_("Check the amount."),
    )


@_step(write_roles=DECISION_ROLES)
def application_refuse(request, pk: int):
    return _action(
        request,
        pk,
        lambda a, d: services.application_refuse(application_id=a.pk, acting_user=request.user, reasons=d["reasons"]),
        form_class=forms.RefuseForm,
        form_name="refuse_form",
        invalid=_("Write the reasons for refusal."),
    )


@_step
def application_refusal_notice(request, pk: int):
    return _action(
        request,
        pk,
        lambda a, d: services.application_issue_refusal_notice(
            application_id=a.pk, acting_user=request.user, issued_on=d["issued_on"]
        ),
        form_class=forms.RefusalNoticeForm,
        form_name="refusal_notice_form",
        invalid=_("Enter the date the notice was issued."),
    )


# The step views by the name the application page's forms (and the older endpoint's `action=`) use; urls.py
# gives each its own URL, `application_<name>`.
STEPS = {
    "documents": application_documents,
    "first_review": application_first_review,
    "notice": application_notice,
    "objection": application_objection,
    "resolve": application_resolve,
    "submit": application_submit,
    "extend": application_extend,
    "withdraw": application_withdraw,
    "approve": application_approve,
    "refuse": application_refuse,
    "refusal_notice": application_refusal_notice,
}


@_step
def application_action(request, pk: int):
    """The single endpoint of before (`action=<step>`): the step's own view answers."""
    step = STEPS.get(request.POST.get("action"))
    if step is None:
        selectors.application_get(user=request.user, pk=pk)  # 404 outside the user's area, as for a known step
        messages.error(request, _("Unknown action."))
        return redirect("assistance:application_detail", pk=pk)
    return step(request, pk)
